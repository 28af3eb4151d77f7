import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// The group commit keeps one connection while requests keep coming; when the server drops it
/// (every backend terminated, as in a restart), appends must go on, and a client that resends
/// after an error must end up with exactly its events, once each.
@Suite struct DroppedConnectionAppendTests {
    @Test func appendsGoOnWhenTheServerDropsEveryConnectionMidStream() async throws {
        try await TestDatabase.withDatabase { db in
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        let stream = Fixture.stream("order-\(writer)")
                        var failures = 0
                        for version in 0..<60 {
                            let event = Fixture.event(id: UUID())
                            var attempt = 0
                            while true {
                                do {
                                    // Resending the same event after an error is answered with its first result.
                                    let result = try await db.store.append(to: stream, expectedVersion: .exact(Int64(version)), events: [event])
                                    #expect(result.streams[0].version == Int64(version + 1))
                                    break
                                } catch let error as LedgerError where error.code == .database && attempt < 20 {
                                    failures += 1
                                    attempt += 1
                                    try await Task.sleep(for: .milliseconds(50))
                                }
                            }
                            if writer == 0 && version == 20 {
                                try await db.client.query(
                                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                    logger: TestDatabase.logger)
                            }
                        }
                        return failures
                    }
                }
                return try await group.reduce(0, +)
            }
            for writer in 0..<8 {
                let versions = try await db.store.read(stream: Fixture.stream("order-\(writer)")).map(\.streamVersion)
                #expect(versions == Array(1...60))
            }
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == 480)
            // Only appends caught by the termination may fail, not every batch after it.
            #expect(failures < 40, "\(failures) failed attempts after the connections were dropped")
        }
    }
}
