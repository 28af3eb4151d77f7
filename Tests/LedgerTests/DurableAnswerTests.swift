import Foundation
import Testing
@testable import Ledger
import LedgerTestSupport

/// "Answered ⇒ durable": an append is answered only once its commit is on disk. The proxy lets
/// the server execute the append, passes its answer on and drops the connection shortly after,
/// before the `Sync` that would commit the statement's implicit transaction, and lets no new
/// connection through; an append the client was answered as written must then be in the log.
/// (Answered from the statement's rows, without waiting for its commit witness, the append is
/// answered and lost: this test fails.)
@Suite struct DurableAnswerTests {
    @Test func anAppendAnsweredBeforeItsConnectionDropsIsInTheLog() async throws {
        try await TestDatabase.withDatabase { db in
            let proxy = try SyncHoldingProxy(upstreamHost: db.url.host, port: db.url.port)
            defer { proxy.close() }
            var proxied = db.url
            proxied.port = proxy.port
            try await TestDatabase.withClient(proxied) { client in
                let store = EventStore(client: client, logger: TestDatabase.logger)
                let stream = Fixture.stream("order-1")
                // The first append prepares the statements on the held connection.
                _ = try await store.append(to: stream, expectedVersion: .exact(0), events: [Fixture.event()])
                proxy.armHoldingTheNextAppendSync()
                let event = Fixture.event(id: UUID())
                // An error is a fair answer here (the client could not find out); a success must be true.
                let answered = try? await withTimeout(.seconds(30)) {
                    try await store.append(to: stream, expectedVersion: .exact(1), events: [event])
                }
                #expect(proxy.dropped, "the proxy never held an append's Sync: nothing was tested")
                if let answered {
                    #expect(answered.streams[0].version == 2)
                    // Read past the proxy, on the test's own connection.
                    let events = try await db.store.read(stream: stream)
                    #expect(events.map(\.id).contains(event.id), "the append was answered but is not in the log")
                }
                #expect(try await db.store.verify().isClean)
            }
        }
    }
}
