import Foundation
import Testing
@testable import Ledger
import LedgerTestSupport

@Suite struct RefusedStatementTests {
    /// Statements refused while they run must give their pooled connection back. Each resend is
    /// planned as new, refused by the unique index on the one-round-trip path, and answered by
    /// the locked path; sixty of them through a pool of 20 would hang if a refusal kept its lease.
    /// (The bound is generous: the full suite has moments where every test waits ~30 s at once.)
    @Test func refusedStatementsDoNotExhaustThePool() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-resent")
            let events = [Fixture.event(), Fixture.event()]
            let first = try await db.store.append(to: stream, events: events)
            let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for _ in 0..<60 {
                        let again = try await db.store.append(to: stream, events: events)
                        #expect(again.wasAlreadyAppended && again.lastPosition == first.lastPosition)
                    }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(120))
                    return false
                }
                let result = try await group.next()!
                group.cancelAll()
                return result
            }
            #expect(finished, "60 resent appends did not finish within 120 s: the pool ran out of connections")
            #expect(db.store.appendPathCounts.locked >= 60)
        }
    }
}
