import Foundation
import PostgresNIO
import Synchronization
import Testing
@testable import Ledger
import LedgerTestSupport

/// `withLiveConnection`: a request on a connection the server dropped fails instead of waiting
/// forever, and only requests on that very connection fail.
@Suite struct ConnectionClosedTests {
    @Test func aRequestOnADroppedConnectionFailsInsteadOfWaiting() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 1) { other in
                _ = try await withTimeout(.seconds(30)) {
                    await #expect(throws: ConnectionClosed.self) {
                        try await other.withLiveConnection { connection in
                            try await db.terminateOtherBackends()
                            while !connection.isClosed { try await Task.sleep(for: .milliseconds(10)) }
                            // NIO has taken the channel down by now: this query is never answered.
                            try await Task.sleep(for: .milliseconds(100))
                            return try await connection.query("SELECT 1", logger: TestDatabase.logger).collect().count
                        }
                    }
                }
            }
        }
    }

    @Test func aRequestInFlightWhenTheServerDropsTheConnectionFails() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 1) { other in
                let sleeping = Task {
                    try await other.withLiveConnection { connection in try await Self.value(of: "SELECT 1 FROM pg_sleep(30)", on: connection) }
                }
                try await Self.waitUntilSleeping(db.client)
                try await db.terminateOtherBackends()
                _ = try await withTimeout(.seconds(10)) {
                    await #expect(throws: (any Error).self) { try await sleeping.value }
                }
            }
        }
    }

    /// Connection ids are only unique within one client: a connection of another client closing
    /// must not fail a request on ours that happens to share its id.
    @Test func aConnectionClosingFailsOnlyItsOwnRequests() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 1) { first in
                try await TestDatabase.withClient(db.url, maximumConnections: 1) { second in
                    let seen = Seen()
                    let lost = Task {
                        try await first.withLiveConnection { doomed in
                            seen.ids.withLock { $0.append(doomed.id) }
                            let pid = try await Self.backendPID(of: doomed)
                            seen.doomedPID.withLock { $0 = pid }
                            return try await Self.value(of: "SELECT 1 FROM pg_sleep(30)", on: doomed)
                        }
                    }
                    let kept = Task {
                        try await second.withLiveConnection { survivor in
                            seen.ids.withLock { $0.append(survivor.id) }
                            return try await Self.value(of: "SELECT 7 FROM pg_sleep(1)", on: survivor)
                        }
                    }
                    try await Self.waitUntilSleeping(db.client, backends: 2)
                    let ids = seen.ids.withLock { $0 }
                    #expect(ids.count == 2 && ids[0] == ids[1], "both clients number their first connection alike")
                    let pid = try #require(seen.doomedPID.withLock { $0 })
                    try await db.client.query("SELECT pg_terminate_backend(\(pid)::int4)", logger: TestDatabase.logger)
                    let answer = try await withTimeout(.seconds(10)) {
                        await #expect(throws: (any Error).self) { try await lost.value }
                        return try await kept.value
                    }
                    #expect(answer == 7)
                }
            }
        }
    }

    /// What the connections of the last test saw: their ids, and the doomed one's server process.
    private final class Seen: Sendable {
        let ids = Mutex<[Int]>([])
        let doomedPID = Mutex<Int?>(nil)
    }

    /// Waits until `backends` backends of this database sleep in `pg_sleep`.
    private static func waitUntilSleeping(_ client: PostgresClient, backends: Int = 1) async throws {
        try await withTimeout(.seconds(10)) {
            while true {
                let rows = try await client.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'",
                    logger: TestDatabase.logger)
                for try await count in rows.decode(Int.self) where count >= backends { return }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// The server process behind a connection.
    private static func backendPID(of connection: PostgresConnection) async throws -> Int {
        try await value(of: "SELECT pg_backend_pid()::int8", on: connection)
    }

    /// The one integer `query` answers, read to the end of its rows.
    private static func value(of query: PostgresQuery, on connection: PostgresConnection) async throws -> Int {
        var answer = 0
        for try await value in try await connection.query(query, logger: TestDatabase.logger).decode(Int.self) { answer = value }
        return answer
    }
}
