import Foundation
import Testing
@testable import Ledger
import LedgerTestSupport

/// A batch planned on top of another batch that was prepared but never committed must not be
/// written, even when a different batch of the same size has since brought the log to the very
/// position the plan expects: its versions and hashes describe a history that does not exist.
@Suite struct PlannedAppendGuardTests {
    /// `onTopEvents` 1 sends the plan by the lone event's statement, 2 by the batch statement.
    @Test(arguments: [1, 2]) func aPlanOnAnUncommittedBatchIsRefusedWhenAnotherBatchReachesTheSamePosition(onTopEvents: Int) async throws {
        try await TestDatabase.withDatabase { db in
            let writer = db.store.coordinator.writer
            let orders = Fixture.stream("order-1")
            let other = Fixture.stream("invoice-1")
            _ = try await writer.write([AppendRequest([StreamAppend(streamID: orders, expectedVersion: .noStream, events: [Fixture.event()])])])

            // P: the second order event, prepared (so the cache assumes it) but never sent.
            let neverSent = try #require(try await writer.prepare(
                [AppendRequest([StreamAppend(streamID: orders, expectedVersion: .exact(1), events: [Fixture.event()])])]))
            // Q: the third order event, planned on top of P.
            let onTop = try #require(try await writer.prepare(
                [AppendRequest([StreamAppend(streamID: orders, expectedVersion: .exact(2), events: (0..<onTopEvents).map { _ in Fixture.event() })])]))
            switch onTop.write {
            case .one where onTopEvents == 1, .statement where onTopEvents == 2: break
            default: Issue.record("the plan on top was not sent by the statement expected")
            }
            _ = neverSent
            // R: one event of another stream takes position 2, the position P would have taken.
            _ = try await writer.writeLocked([AppendRequest([StreamAppend(streamID: other, expectedVersion: .any, events: [Fixture.event()])])])

            if case .written = await writer.commit(onTop) {
                Issue.record("a batch planned on a batch that never committed was written")
            }
            let versions = try await db.store.read(stream: orders).map(\.streamVersion)
            #expect(versions == [1])
            let report = try await db.store.verify()
            #expect(report.isClean)
        }
    }
}
