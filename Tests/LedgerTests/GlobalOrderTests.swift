import Foundation
import Synchronization
import Testing
import Ledger
import LedgerTestSupport

/// Invariant 5: a reader following all streams never skips an event, even while writers hold
/// their transactions open for random times between insert and commit.
@Suite struct GlobalOrderTests {
    @Test func tailingReaderSeesEveryCommittedEventExactlyOnceInPositionOrder() async throws {
        try await TestDatabase.withDatabase { db in
            let writers = 8, appendsPerWriter = 40
            let slow = Fixture.slowCommits(upToMilliseconds: 15)
            let total = writers * appendsPerWriter * 2
            let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
                group.addTask {
                    var positions: [Int64] = []
                    for try await event in db.store.subscribe(after: 0) {
                        positions.append(event.position)
                        if positions.count == total { break }
                    }
                    return positions
                }
                for writer in 0..<writers {
                    group.addTask {
                        // Each writer is its own pool and coordinator, like a separate process.
                        try await db.withSecondStore(configuration: slow) { store in
                            for index in 0..<appendsPerWriter {
                                let stream = Fixture.stream("writer\(writer)-\(index % 3)")
                                _ = try await store.append(to: stream, events: [Fixture.event(), Fixture.event()])
                            }
                        }
                        return []
                    }
                }
                var result: [Int64] = []
                for try await positions in group where !positions.isEmpty { result = positions }
                return result
            }
            #expect(seen.count == total)
            #expect(seen == Array(1...Int64(total)))
        }
    }

    @Test func pagedReadsOfAllStreamsAgreeWithTheLogWhileWritersRun() async throws {
        try await TestDatabase.withDatabase { db in
            let slow = Fixture.slowCommits(upToMilliseconds: 10)
            let finished = Flag()
            let observed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        try await db.withSecondStore(configuration: slow) { store in
                            for _ in 0..<25 { _ = try await store.append(to: Fixture.stream("w-\(writer)"), events: [Fixture.event()]) }
                        }
                        return []
                    }
                }
                group.addTask {
                    var positions: [Int64] = []
                    var after: Int64 = 0
                    while true {
                        let done = finished.isSet
                        let page = try await db.store.readAll(after: after, limit: 7)
                        positions += page.events.map(\.position)
                        after = page.scannedThrough
                        if done && page.events.isEmpty { return positions }
                    }
                }
                var writersDone = 0
                var result: [Int64] = []
                while let positions = try await group.next() {
                    if positions.isEmpty {
                        writersDone += 1
                        if writersDone == 8 { finished.set() }
                    } else {
                        result = positions
                    }
                }
                return result
            }
            #expect(observed == Array(1...200))
        }
    }
}
