import ChildProcess
import Foundation
import Ledger
import LedgerTestSupport
import Testing

/// `ledger run` stops on SIGINT by its graceful path even while a client holds a live event
/// stream open: the live side stops first and ends the stream, so the server has nothing left
/// to wait for (rather than the forced exit after the grace period).
@Suite struct ServiceShutdownTests {
    @Test func anOpenEventStreamDoesNotHoldAGracefulStop() async throws {
        try await TestDatabase.withDatabase { db in
            let url = db.url.connectionString
            let token = try await LedgerBinary.run("tokens create --name watcher --role portal_admin", databaseURL: url)
            try #require(token.status == 0, "\(token.errors)")
            let secret = String(token.output.split(separator: "\n").first ?? "")
            let port = try SampleApp.freePort()
            let service = try await LedgerBinary.start("run --listen 127.0.0.1:\(port) --grace-period 10", databaseURL: url)
            defer { service.signal(SIGKILL) }
            try await waitUntil("the HTTP API listens", within: .seconds(60)) { service.errors.contains("HTTP API on") }
            let stream = Task {
                try await ShellCommand.run("curl -sN -m 120 -H 'Authorization: Bearer \(secret)' http://127.0.0.1:\(port)/api/v1/events > /dev/null")
            }
            defer { stream.cancel() }
            try await waitUntil("the stream is open", within: .seconds(30)) {
                (try await HTTP.get(port, "/metrics").body).contains("ledger_sse_clients 1.0")
            }
            service.signal(SIGINT)
            let ended = await service.wait()
            #expect(ended.status == 130, "\(ended.errors)")
            #expect(ended.errors.contains("SIGINT: stopping"))
            #expect(!ended.errors.contains("did not stop within"), "the open stream held the stop until the forced exit: \(ended.errors)")
            #expect(try await stream.value == 0, "the client's stream ended cleanly (curl exit 0), not cut")
        }
    }
}
