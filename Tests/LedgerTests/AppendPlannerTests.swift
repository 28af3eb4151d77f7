import Foundation
import Testing
@testable import Ledger
import LedgerTestSupport

@Suite struct AppendPlannerTests {
    let order = Fixture.stream("order-1")
    let other = Fixture.stream("order-2")

    func planner(streams: [StreamID: AppendPlanner.StreamState] = [:], existing: [UUID: AppendPlanner.ExistingEvent] = [:]) -> AppendPlanner {
        AppendPlanner(head: 10, nowMicroseconds: 1_700_000_000_000_000, streams: streams, existing: existing)
    }

    @Test func newStreamStartsAtVersionOneAndTakesTheNextPositions() throws {
        let plan = planner().plan([AppendRequest([StreamAppend(streamID: order, expectedVersion: .noStream, events: [Fixture.event(), Fixture.event()])])])
        #expect(plan.rows.map(\.position) == [11, 12])
        #expect(plan.rows.map(\.streamVersion) == [1, 2])
        #expect(plan.rows[0].previousHash == .zero)
        #expect(plan.rows[1].previousHash == plan.rows[0].hash)
        #expect(plan.newHead == 12)
        guard case .appended(let result) = plan.outcomes[0] else { Issue.record("not appended"); return }
        #expect(result.firstPosition == 11 && result.lastPosition == 12 && result.streams[0].version == 2)
    }

    @Test func staleExpectedVersionIsRejectedWithBothVersionsAndWritesNothing() {
        let state = AppendPlanner.StreamState(version: 3, lastHash: .zero, lastPosition: 5)
        let plan = planner(streams: [order: state]).plan([AppendRequest([StreamAppend(streamID: order, expectedVersion: .exact(2), events: [Fixture.event()])])])
        #expect(plan.rows.isEmpty)
        guard case .rejected(let error) = plan.outcomes[0], let conflict = error as? AppendConflict else {
            Issue.record("expected a conflict"); return
        }
        #expect(conflict == AppendConflict(streamID: order, expected: .exact(2), actual: 3))
    }

    @Test func multiStreamRequestWithOneConflictWritesNoneOfItsStreams() {
        let state = AppendPlanner.StreamState(version: 1, lastHash: .zero, lastPosition: 1)
        let request = AppendRequest([
            StreamAppend(streamID: other, expectedVersion: .noStream, events: [Fixture.event()]),
            StreamAppend(streamID: order, expectedVersion: .noStream, events: [Fixture.event()]),
        ])
        let plan = planner(streams: [order: state]).plan([request])
        #expect(plan.rows.isEmpty)
        #expect(plan.streamUpdates.isEmpty)
    }

    @Test func laterRequestInABatchSeesTheEarlierOnesVersions() {
        let first = AppendRequest([StreamAppend(streamID: order, expectedVersion: .exact(0), events: [Fixture.event()])])
        let stale = AppendRequest([StreamAppend(streamID: order, expectedVersion: .exact(0), events: [Fixture.event()])])
        let next = AppendRequest([StreamAppend(streamID: order, expectedVersion: .exact(1), events: [Fixture.event()])])
        let plan = planner().plan([first, stale, next])
        #expect(plan.rows.map(\.streamVersion) == [1, 2])
        #expect(plan.rows[1].previousHash == plan.rows[0].hash)
        if case .rejected = plan.outcomes[1] {} else { Issue.record("the stale request should be rejected") }
        if case .appended = plan.outcomes[2] {} else { Issue.record("the follow-up should be appended") }
    }

    @Test func resentEventsReturnTheOriginalResultAndWriteNothing() {
        let event = Fixture.event()
        let existing = AppendPlanner.ExistingEvent(streamID: order.rawValue, streamVersion: 4, position: 7, type: event.type, data: event.data)
        let plan = planner(existing: [event.id: existing]).plan([AppendRequest([StreamAppend(streamID: order, expectedVersion: .exact(3), events: [event])])])
        #expect(plan.rows.isEmpty)
        guard case .alreadyAppended(let result) = plan.outcomes[0] else { Issue.record("expected a replay"); return }
        #expect(result.firstPosition == 7 && result.streams[0].version == 4 && result.wasAlreadyAppended)
    }

    @Test func reusedIdWithDifferentContentIsItsOwnError() {
        let event = Fixture.event("Something", #"{"n":2}"#)
        let existing = AppendPlanner.ExistingEvent(streamID: order.rawValue, streamVersion: 1, position: 3, type: "Something", data: Data(#"{"n":1}"#.utf8))
        let plan = planner(existing: [event.id: existing]).plan([AppendRequest([StreamAppend(streamID: order, events: [event])])])
        guard case .rejected(let error) = plan.outcomes[0], let reused = error as? EventIDReused else {
            Issue.record("expected EventIDReused"); return
        }
        #expect(reused.existingPosition == 3)
    }

    @Test func requestSharingAnIdWithAnEarlierOneInTheBatchIsDeferred() {
        let event = Fixture.event()
        let request = AppendRequest([StreamAppend(streamID: order, events: [event])])
        let plan = planner().plan([request, request])
        if case .appended = plan.outcomes[0] {} else { Issue.record("first should be appended") }
        if case .deferred = plan.outcomes[1] {} else { Issue.record("second should be deferred") }
        #expect(plan.rows.count == 1)
    }
}
