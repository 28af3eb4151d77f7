import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerTestSupport

@Suite struct EventStoreAppendTests {
    @Test func appendedEventsReadBackWithVersionsPositionsAndPayloads() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-1")
            let result = try await db.store.append(to: stream, expectedVersion: .noStream, events: [
                Fixture.event("Placed", #"{"sku":"a"}"#), Fixture.event("Paid", #"{"amount":3}"#),
            ])
            #expect(result.firstPosition == 1 && result.lastPosition == 2 && result.streams[0].version == 2)
            let events = try await db.store.read(stream: stream)
            #expect(events.map(\.type) == ["Placed", "Paid"])
            #expect(events.map(\.streamVersion) == [1, 2])
            #expect(String(decoding: events[0].data, as: UTF8.self) == #"{"sku":"a"}"#)
            #expect(try events[0].metadata().actor == "tester")
            #expect(try await db.store.version(of: stream) == 2)
            #expect(try await db.store.version(of: Fixture.stream("order-404")) == 0)
        }
    }

    @Test func staleExpectedVersionIsAConflictNamingTheStreamAndWritesNothing() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-1")
            _ = try await db.store.append(to: stream, expectedVersion: .noStream, events: [Fixture.event()])
            await #expect(throws: AppendConflict(streamID: stream, expected: .exact(0), actual: 1)) {
                try await db.store.append(to: stream, expectedVersion: .exact(0), events: [Fixture.event()])
            }
            await #expect(throws: AppendConflict(streamID: stream, expected: .noStream, actual: 1)) {
                try await db.store.append(to: stream, expectedVersion: .noStream, events: [Fixture.event()])
            }
            #expect(try await db.store.headPosition() == 1)
            #expect(try await db.store.read(stream: stream).count == 1)
        }
    }

    @Test func multiStreamAppendIsAllOrNothing() async throws {
        try await TestDatabase.withDatabase { db in
            let a = Fixture.stream("account-a"), b = Fixture.stream("account-b")
            _ = try await db.store.append(to: b, events: [Fixture.event()])
            await #expect(throws: AppendConflict.self) {
                try await db.store.append(AppendRequest([
                    StreamAppend(streamID: a, expectedVersion: .noStream, events: [Fixture.event("Debited")]),
                    StreamAppend(streamID: b, expectedVersion: .noStream, events: [Fixture.event("Credited")]),
                ]))
            }
            #expect(try await db.store.version(of: a) == 0)
            let both = try await db.store.append(AppendRequest([
                StreamAppend(streamID: a, expectedVersion: .noStream, events: [Fixture.event("Debited")]),
                StreamAppend(streamID: b, expectedVersion: .exact(1), events: [Fixture.event("Credited")]),
            ]))
            #expect(both.streams.map(\.version) == [1, 2])
            #expect(both.firstPosition == 2 && both.lastPosition == 3)
        }
    }

    @Test func resendingTheSameEventsReturnsTheOriginalResultAndWritesNothing() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-1")
            let events = [Fixture.event("A"), Fixture.event("B")]
            let first = try await db.store.append(to: stream, expectedVersion: .noStream, events: events)
            _ = try await db.store.append(to: stream, events: [Fixture.event("C")])
            // A client retry after a lost answer: same ids, same (now stale) expected version.
            let retry = try await db.store.append(to: stream, expectedVersion: .noStream, events: events)
            #expect(retry.streams == first.streams)
            #expect(retry.firstPosition == first.firstPosition && retry.lastPosition == first.lastPosition)
            #expect(retry.wasAlreadyAppended && !first.wasAlreadyAppended)
            #expect(try await db.store.headPosition() == 3)
        }
    }

    @Test func reusingAnIdForDifferentContentIsRefused() async throws {
        try await TestDatabase.withDatabase { db in
            let id = UUID()
            _ = try await db.store.append(to: Fixture.stream("order-1"), events: [Fixture.event("A", #"{"x":1}"#, id: id)])
            await #expect(throws: EventIDReused.self) {
                try await db.store.append(to: Fixture.stream("order-1"), events: [Fixture.event("A", #"{"x":2}"#, id: id)])
            }
            await #expect(throws: EventIDReused.self) {
                try await db.store.append(to: Fixture.stream("order-1"), events: [Fixture.event("A", #"{"x":1}"#, id: id), Fixture.event()])
            }
            #expect(try await db.store.headPosition() == 1)
        }
    }

    @Test func concurrentWritersWithTheSameExpectedVersionHaveExactlyOneWinnerEachRound() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("counter-1")
            for round in 0..<5 {
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            do {
                                _ = try await db.store.append(to: stream, expectedVersion: .exact(Int64(round)), events: [Fixture.event()])
                                return true
                            } catch is AppendConflict { return false }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
            }
            #expect(try await db.store.read(stream: stream).map(\.streamVersion) == [1, 2, 3, 4, 5])
        }
    }

    @Test func bulkAppendOfTwentyThousandEventsKeepsEveryInvariant() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("deployment-bulk")
            _ = try await db.store.append(to: Fixture.stream("other-1"), events: [Fixture.event()])
            let lines = (0..<20_000).map { Fixture.event("LogLine", #"{"line":\#($0)}"#) }
            let result = try await db.store.append(to: stream, expectedVersion: .noStream, events: lines)
            #expect(result.firstPosition == 2 && result.lastPosition == 20_001 && result.streams[0].version == 20_000)
            let tail = try await db.store.read(stream: stream, direction: .backward, limit: 2)
            #expect(tail.map(\.streamVersion) == [20_000, 19_999])
            #expect(String(decoding: tail[0].data, as: UTF8.self) == #"{"line":19999}"#)
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == 20_001)
        }
    }
}

@Suite struct AppendPathTests {
    @Test func steadyAppendsFromOneProcessTakeTheOneRoundTripPath() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-1")
            for version in 0..<20 {
                _ = try await db.store.append(to: stream, expectedVersion: .exact(Int64(version)), events: [Fixture.event()])
            }
            let counts = db.store.appendPathCounts
            #expect(counts.planned == 20 && counts.locked == 0)
        }
    }

    @Test func anotherProcessAppendingMakesThePlanStaleAndItIsRedoneCorrectly() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-1")
            _ = try await db.store.append(to: stream, events: [Fixture.event()])
            try await db.withSecondStore { other in
                _ = try await other.append(to: stream, expectedVersion: .exact(1), events: [Fixture.event()])
            }
            // This store's cached view says version 1; the head moved, so it must re-read, not conflict.
            let result = try await db.store.append(to: stream, expectedVersion: .exact(2), events: [Fixture.event()])
            #expect(result.streams[0].version == 3 && result.lastPosition == 3)
            #expect(try await db.store.verify().isClean)
        }
    }

    /// Sixteen writers appending at once must share transactions (group commit), each still
    /// answered with its own versions; after they are all answered the queue's drain task has
    /// ended, and a later append starts a new one.
    @Test func concurrentAppendsShareTransactionsAndEveryCallerGetsItsOwnAnswer() async throws {
        try await TestDatabase.withDatabase { db in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        let stream = Fixture.stream("order-\(writer)")
                        for version in 0..<25 {
                            let result = try await db.store.append(to: stream, expectedVersion: .exact(Int64(version)), events: [Fixture.event()])
                            #expect(result.streams[0].streamID == stream && result.streams[0].version == Int64(version + 1))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = db.store.appendPathCounts
            #expect(counts.planned + counts.locked < 300, "400 appends by 16 writers took \(counts) transactions: nothing was shared")
            // The drain task stops once the queue is empty (it may still be finishing its last look).
            for _ in 0..<200 where db.store.coordinator.isDraining { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!db.store.coordinator.isDraining)
            let later = try await db.store.append(to: Fixture.stream("order-0"), expectedVersion: .exact(25), events: [Fixture.event()])
            #expect(later.lastPosition == 401)
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == 401)
        }
    }

    /// A resend whose stream has since moved on (its own first send did that) must get the
    /// original result even when it shares a batch with other appends, where the plan sees only
    /// a stale version and cannot know the ids exist.
    @Test func aResendSharingABatchWithOthersGetsItsOriginalResult() async throws {
        try await TestDatabase.withDatabase { db in
            for round in 0..<20 {
                let stream = Fixture.stream("order-resent\(round)")
                let event = Fixture.event()
                let first = try await db.store.append(to: stream, expectedVersion: .noStream, events: [event])
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for other in 0..<15 {
                        group.addTask {
                            _ = try await db.store.append(to: Fixture.stream("order-other\(round)x\(other)"), events: [Fixture.event()])
                        }
                    }
                    group.addTask {
                        let again = try await db.store.append(to: stream, expectedVersion: .noStream, events: [event])
                        #expect(again.wasAlreadyAppended && again.lastPosition == first.lastPosition)
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await db.store.verify().isClean)
        }
    }

    /// Many small batches, each naming streams the one before just moved.
    @Test func smallBatchesOnSharedStreamsKeepStreamsGaplessAndTheChainIntact() async throws {
        var configuration = EventStoreConfiguration()
        configuration.maximumBatchRequests = 4
        try await TestDatabase.withDatabase(configuration: configuration) { db in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        for _ in 0..<30 {
                            _ = try await db.store.append(to: Fixture.stream("order-\(writer % 4)"), events: [Fixture.event()])
                        }
                    }
                }
                try await group.waitForAll()
            }
            for index in 0..<4 {
                let versions = try await db.store.read(stream: Fixture.stream("order-\(index)")).map(\.streamVersion)
                #expect(versions == Array(1...120))
            }
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == 480)
            #expect(db.store.appendPathCounts.planned > 0)
        }
    }
}

@Suite struct WriterCacheTests {
    /// The writer knows stream a at version 1; another process appends to it; then one batch
    /// names a (now at 2) and a stream the writer has never seen. The read for the unknown stream
    /// must refresh a too, or a would be planned as absent and refused by a false conflict.
    @Test func aReadForNewStreamsRefreshesTheStaleOnesInTheSameBatch() async throws {
        try await TestDatabase.withDatabase { db in
            let writer = BatchWriter(client: db.client, configuration: .init(), logger: TestDatabase.logger)
            let a = Fixture.stream("order-a"), b = Fixture.stream("order-b")
            _ = try await writer.write([AppendRequest([StreamAppend(streamID: a, events: [Fixture.event()])])])
            _ = try await db.store.append(to: a, expectedVersion: .exact(1), events: [Fixture.event()])
            let outcomes = try await writer.write([
                AppendRequest([StreamAppend(streamID: a, expectedVersion: .exact(2), events: [Fixture.event()])]),
                AppendRequest([StreamAppend(streamID: b, events: [Fixture.event()])]),
            ])
            guard case .appended(let result) = outcomes[0] else {
                Issue.record("expected the append to a at version 2 to succeed, got \(outcomes[0])")
                return
            }
            #expect(result.streams[0].version == 3)
            #expect(try await db.store.verify().isClean)
        }
    }
}

extension WriterCacheTests {
    /// A resend planned beside an append that writes rows: the cache says its stream moved on, so
    /// the plan refuses it for a stale version; `write` must still answer it as already appended.
    @Test func aResendPlannedBesideNewRowsIsAnsweredByTheLockedPath() async throws {
        try await TestDatabase.withDatabase { db in
            let writer = BatchWriter(client: db.client, configuration: .init(), logger: TestDatabase.logger)
            let a = Fixture.stream("order-a"), b = Fixture.stream("order-b")
            let event = Fixture.event()
            let resend = AppendRequest([StreamAppend(streamID: a, expectedVersion: .noStream, events: [event])])
            _ = try await writer.write([resend])
            let outcomes = try await writer.write([resend, AppendRequest([StreamAppend(streamID: b, events: [Fixture.event()])])])
            guard case .alreadyAppended(let result) = outcomes[0], case .appended = outcomes[1] else {
                Issue.record("expected the resend to be recognised and b appended, got \(outcomes)")
                return
            }
            #expect(result.lastPosition == 1)
        }
    }
}
