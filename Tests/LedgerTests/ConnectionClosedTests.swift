import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// `failingWhenClosed`: a request on a connection the server dropped fails instead of waiting
/// forever, and only requests on that very connection fail.
@Suite struct ConnectionClosedTests {
    @Test func aRequestOnADroppedConnectionFailsInsteadOfWaiting() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 1) { other in
                try await other.withConnection { connection in
                    try await db.terminateOtherBackends()
                    try await withTimeout(.seconds(30)) {
                        while !connection.isClosed { try await Task.sleep(for: .milliseconds(10)) }
                        // NIO has taken the channel down by now: a bare query here would never return.
                        try await Task.sleep(for: .milliseconds(100))
                        await #expect(throws: ConnectionClosed.self) {
                            try await connection.failingWhenClosed { try await connection.query("SELECT 1", logger: TestDatabase.logger) }
                        }
                    }
                }
            }
        }
    }

    @Test func aRequestInFlightWhenTheServerDropsTheConnectionFails() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 1) { other in
                try await other.withConnection { connection in
                    let sleeping = Task {
                        try await connection.failingWhenClosed { try await Self.value(of: "SELECT 1 FROM pg_sleep(30)", on: connection) }
                    }
                    try await Self.waitUntilSleeping(db.client)
                    try await db.terminateOtherBackends()
                    _ = try await withTimeout(.seconds(10)) {
                        await #expect(throws: (any Error).self) { try await sleeping.value }
                    }
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
                    try await first.withConnection { doomed in
                        try await second.withConnection { survivor in
                            #expect(doomed.id == survivor.id, "both clients number their first connection alike")
                            let doomedPID = try await Self.backendPID(of: doomed)
                            let lost = Task {
                                try await doomed.failingWhenClosed { try await Self.value(of: "SELECT 1 FROM pg_sleep(30)", on: doomed) }
                            }
                            let kept = Task {
                                try await survivor.failingWhenClosed { try await Self.value(of: "SELECT 7 FROM pg_sleep(1)", on: survivor) }
                            }
                            try await Self.waitUntilSleeping(db.client, backends: 2)
                            try await db.client.query("SELECT pg_terminate_backend(\(doomedPID)::int4)", logger: TestDatabase.logger)
                            let answer = try await withTimeout(.seconds(10)) {
                                await #expect(throws: (any Error).self) { try await lost.value }
                                return try await kept.value
                            }
                            #expect(answer == 7)
                        }
                    }
                }
            }
        }
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
