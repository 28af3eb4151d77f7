import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// The append writer's connection is kept while it is used and given back when it is not: one
/// backend serves request after request, an idle writer holds nothing, and a connection the
/// server closed is never handed out again.
@Suite struct HeldConnectionTests {
    private static func backend(_ connection: PostgresConnection) async -> Int32? {
        let rows = try? await connection.query("SELECT pg_backend_pid()", logger: TestDatabase.logger).collect()
        return try? rows?.first?.decode(Int32.self)
    }

    /// A holder with `linger` on a pool of three, after its first use (from the pool) made it
    /// lease the connection it holds.
    private static func withHolder(
        linger: Duration, _ body: @Sendable (TestContext, HeldConnection, PostgresConnection) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 3) { client in
                let held = HeldConnection(client: client, linger: linger)
                _ = try await held.withConnection { await Self.backend($0) }
                try await waitUntil("the holder holds a connection", within: .seconds(10)) { held.heldNow != nil }
                try await body(db, held, try #require(held.heldNow))
            }
        }
    }

    @Test func usesInARowRunOnTheHeldConnectionWhichIsGivenBackOnceIdle() async throws {
        try await Self.withHolder(linger: .milliseconds(200)) { _, held, holding in
            for _ in 0..<20 {
                let onHeld = try await held.withConnection { $0 === holding }
                #expect(onHeld, "a use while the connection is held and free ran on another one")
            }
            try await waitUntil("an idle holder gives its connection back", within: .seconds(10)) { held.heldNow == nil }
            #expect(try await held.withConnection { await Self.backend($0) } != nil)
        }
    }

    @Test func aHeldConnectionTheServerClosedIsNotHandedOutAgain() async throws {
        // A linger longer than the test: only the close can end this holder.
        try await Self.withHolder(linger: .seconds(60)) { db, held, _ in
            let first = try #require(try await held.withConnection { await Self.backend($0) })
            _ = try await db.client.liveQuery("SELECT pg_terminate_backend(\(first))", logger: TestDatabase.logger)
            try await waitUntil("the terminated backend is gone", within: .seconds(10)) {
                let rows = try await db.client.liveQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = \(first)", logger: TestDatabase.logger)
                return try rows[0].decode(Int.self) == 0
            }
            // Every use after the close runs on a live connection, not on the closed one (a
            // request sent on a closed connection may never be answered: hence the timeout).
            for _ in 0..<5 {
                let next = try await withTimeout(.seconds(10)) { try await held.withConnection { await Self.backend($0) } }
                #expect(next != nil && next != first, "a use after the close ran on \(String(describing: next))")
            }
        }
    }
}
