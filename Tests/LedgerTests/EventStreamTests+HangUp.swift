import ChildProcess
import Foundation
import Ledger
import LedgerTestSupport
import Testing

extension EventStreamTests {
    /// A client that closes its connection stops counting at once (its end of the connection
    /// is seen closing), not when a heartbeat write fails 15 s or more later.
    @Test func aClientThatHangsUpIsNoticedBeforeAnyHeartbeat() async throws {
        try await TestDatabase.withDatabase { db in
            let (_, token, _) = try await Self.deploymentInProgress(db)
            try await Self.withGateway(db) { port in
                let go = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-hangup-\(UUID().uuidString.prefix(8))").path
                let script = """
                    import os, socket, time
                    s = socket.create_connection(("127.0.0.1", \(port)))
                    s.sendall(b"GET /api/v1/events HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer \(token)\\r\\n\\r\\n")
                    s.settimeout(60); s.recv(4096)
                    waited = 0
                    while not os.path.exists("\(go)") and waited < 600: time.sleep(0.1); waited += 1
                    s.close()
                    """
                let client = Task { try await ShellCommand.run("python3 -c '\(script)'") }
                defer { try? FileManager.default.removeItem(atPath: go) }
                try await waitUntil("the stream is open", within: .seconds(60)) {
                    (try await HTTP.get(port, "/metrics").body).contains("ledger_sse_clients 1.0")
                }
                // The client hangs up.
                _ = FileManager.default.createFile(atPath: go, contents: nil)
                #expect(try await client.value == 0)
                // Without noticing the hang-up, the gateway would count it until its second heartbeat
                // write after the close (one every 15 s) failed: about 30 s.
                try await waitUntil("the closed client no longer counts", within: .seconds(10)) {
                    (try await HTTP.get(port, "/metrics").body).contains("ledger_sse_clients 0.0")
                }
            }
        }
    }
}
