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
///
/// One event goes by the lone event's statement, two by the batch statement: both are tested.
@Suite struct DurableAnswerTests {
    @Test(arguments: [1, 2]) func anAppendAnsweredBeforeItsConnectionDropsIsInTheLog(events count: Int) async throws {
        try await TestDatabase.withDatabase { db in
            let proxy = try SyncHoldingProxy(upstreamHost: db.url.host, port: db.url.port)
            defer { proxy.close() }
            var proxied = db.url
            proxied.port = proxy.port
            try await TestDatabase.withClient(proxied) { client in
                let store = EventStore(client: client, logger: TestDatabase.logger)
                let stream = Fixture.stream("order-1")
                // The first append prepares the statement on the held connection.
                _ = try await store.append(to: stream, expectedVersion: .exact(0), events: (0..<count).map { _ in Fixture.event() })
                proxy.armHoldingTheNextAppendSync()
                let events = (0..<count).map { _ in Fixture.event(id: UUID()) }
                // An error is a fair answer here (the client could not find out); a success must be true.
                let answered = try? await withTimeout(.seconds(30)) {
                    try await store.append(to: stream, expectedVersion: .exact(Int64(count)), events: events)
                }
                #expect(proxy.dropped, "the proxy never held an append's Sync: nothing was tested")
                if let answered {
                    #expect(answered.streams[0].version == Int64(2 * count))
                    // Read past the proxy, on the test's own connection.
                    let stored = Set(try await db.store.read(stream: stream).map(\.id))
                    #expect(events.allSatisfy { stored.contains($0.id) }, "the append was answered but is not in the log")
                }
                #expect(try await db.store.verify().isClean)
            }
        }
    }
}
