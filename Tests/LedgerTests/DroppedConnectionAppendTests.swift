import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// The group commit keeps one connection while requests keep coming; when the server drops it
/// (every backend terminated, as in a restart), appends must go on, and a client that resends
/// after an error must end up with exactly its events, once each.
@Suite struct DroppedConnectionAppendTests {
    static let writers = 8
    static let eventsPerWriter = 60
    /// Writer 0 terminates the other backends after every this many of its appends.
    static let terminateEvery = 10
    static let terminations = (eventsPerWriter - 1) / terminateEvery

    @Test func appendsGoOnWhenTheServerDropsEveryConnectionMidStream() async throws {
        try await TestDatabase.withDatabase { db in
            // A request lost on a dropped connection would leave its writer waiting forever.
            let failures = try await withTimeout(.seconds(60)) {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for writer in 0..<Self.writers {
                        group.addTask { try await Self.appendResendingOnErrors(writer: writer, db) }
                    }
                    return try await group.reduce(0, +)
                }
            }
            for writer in 0..<Self.writers {
                let versions = try await db.store.read(stream: Fixture.stream("order-\(writer)")).map(\.streamVersion)
                #expect(versions == Array(1...Int64(Self.eventsPerWriter)))
            }
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == Self.writers * Self.eventsPerWriter)
            // Only appends caught by a termination may fail, not every batch after it.
            #expect(failures < 40 * Self.terminations, "\(failures) failed attempts after \(Self.terminations) terminations")
        }
    }

    /// Appends one event at a time to the writer's stream, resending the same event after an
    /// error, and returns the number of errors. Writer 0 terminates every other backend now and
    /// then, not after its last append (a read on a dropped pooled connection fails once, which
    /// is not under test here).
    private static func appendResendingOnErrors(writer: Int, _ db: TestContext) async throws -> Int {
        let stream = Fixture.stream("order-\(writer)")
        var failures = 0
        for version in 0..<eventsPerWriter {
            let event = Fixture.event(id: UUID())
            var attempt = 0
            while true {
                do {
                    // A resend of an event that did land is answered with its first result.
                    let result = try await db.store.append(to: stream, expectedVersion: .exact(Int64(version)), events: [event])
                    #expect(result.streams[0].version == Int64(version + 1))
                    break
                } catch let error as LedgerError where error.code == .database && attempt < 20 {
                    failures += 1
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            if writer == 0 && (version + 1) % terminateEvery == 0 && version < eventsPerWriter - 1 {
                try await db.terminateOtherBackends()
            }
        }
        return failures
    }
}
