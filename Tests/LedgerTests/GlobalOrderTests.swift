import Foundation
import PostgresNIO
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
            // Every tenth append of the even writers is a bulk append, which goes by COPY.
            let bulkSize = 300
            @Sendable func size(writer: Int, index: Int) -> Int { writer % 2 == 0 && index % 10 == 0 ? bulkSize : 2 }
            let total = (0..<writers).reduce(0) { sum, writer in sum + (0..<appendsPerWriter).reduce(0) { $0 + size(writer: writer, index: $1) } }
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
                                _ = try await store.append(to: stream, events: (0..<size(writer: writer, index: index)).map { _ in Fixture.event() })
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

@Suite struct StalledWriterTests {
    @Test func aForgottenOpenTransactionHoldingTheHeadDoesNotStallReaders() async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event("A"), Fixture.event("B")])
            let released = Flag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // A writer that locked the head and then went idle inside its transaction.
                    try await db.client.withConnection { connection in
                        try await connection.query("BEGIN", logger: TestDatabase.logger)
                        try await connection.query("SELECT position FROM ledger.head FOR UPDATE", logger: TestDatabase.logger)
                        while !released.isSet { try await Task.sleep(for: .milliseconds(20)) }
                        try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                let reads: (ReadPage, ReadPage, [Int64])
                do {
                    reads = try await withTimeout(.seconds(10)) {
                    let all = try await db.store.readAll(after: 0)
                    let filtered = try await db.store.readAll(after: 0, filter: EventFilter(eventTypes: ["B"]))
                    var streamed: [Int64] = []
                    for try await event in db.store.subscribe(after: 0) {
                        streamed.append(event.position)
                        if streamed.count == 2 { break }
                    }
                    return (all, filtered, streamed)
                    }
                } catch {
                    released.set()
                    throw error
                }
                released.set()
                let (all, filtered, streamed) = reads
                #expect(all.events.map(\.position) == [1, 2])
                #expect(filtered.events.map(\.position) == [2] && filtered.scannedThrough == 2)
                #expect(streamed == [1, 2])
                try await group.waitForAll()
            }
        }
    }
}
