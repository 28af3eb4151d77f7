import Foundation
import PostgresNIO
import Testing
import Ledger
import LedgerDomain
import LedgerTestSupport
import ChildProcess

@Suite struct SubscriptionTests {
    /// Polling is pushed far out, so live delivery within the test's time limit can only come from NOTIFY.
    static var notifyOnly: EventStoreConfiguration {
        var configuration = EventStoreConfiguration()
        configuration.pollInterval = .seconds(600)
        configuration.readBatchSize = 1_000
        return configuration
    }

    @Test func catchesUpInBatchesThenGoesLiveOnNotify() async throws {
        try await TestDatabase.withDatabase(configuration: Self.notifyOnly) { db in
            let history = (0..<2_500).map { Fixture.event("Line", #"{"n":\#($0)}"#) }
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: history)
            let positions = try await withTimeout(.seconds(30)) {
                var iterator = db.store.subscribe(after: 0).makeAsyncIterator()
                var positions: [Int64] = []
                while positions.count < 2_500, let event = try await iterator.next() { positions.append(event.position) }
                // Caught up; the next events are appended only now, while the subscriber waits.
                async let live: [Int64] = {
                    var seen: [Int64] = []
                    while seen.count < 3, let event = try await iterator.next() { seen.append(event.position) }
                    return seen
                }()
                try await Task.sleep(for: .milliseconds(200))
                _ = try await db.store.append(to: Fixture.stream("deployment-2"), events: [Fixture.event(), Fixture.event(), Fixture.event()])
                return positions + (try await live)
            }
            #expect(positions == Array(1...2_503))
        }
    }

    @Test func filtersByCategoryAndEventType() async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event("Started"), Fixture.event("LogLine")])
            _ = try await db.store.append(to: Fixture.stream("environment-1"), events: [Fixture.event("Started")])
            _ = try await db.store.append(to: Fixture.stream("deployment-2"), events: [Fixture.event("Started")])
            let filter = EventFilter(categories: ["deployment"], eventTypes: ["Started"])
            let page = try await db.store.readAll(after: 0, filter: filter)
            #expect(page.events.map(\.position) == [1, 4])
            #expect(page.scannedThrough == 4)
            let streamed = try await withTimeout(.seconds(10)) {
                var seen: [Int64] = []
                for try await event in db.store.subscribe(after: 0, filter: filter) {
                    seen.append(event.position)
                    if seen.count == 2 { break }
                }
                return seen
            }
            #expect(streamed == [1, 4])
            let byType = try await db.store.readAll(after: 0, filter: EventFilter(eventTypes: ["LogLine"]))
            #expect(byType.events.map(\.position) == [2])
        }
    }

    @Test func resumesAfterItsConnectionIsDropped() async throws {
        var configuration = Self.notifyOnly
        configuration.pollInterval = .milliseconds(300)
        try await TestDatabase.withDatabase(configuration: configuration) { db in
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event()])
            let seen = try await withTimeout(.seconds(30)) {
                var iterator = db.store.subscribe(after: 0).makeAsyncIterator()
                var seen: [Int64] = []
                if let first = try await iterator.next() { seen.append(first.position) }
                async let rest: [Int64] = {
                    var more: [Int64] = []
                    while more.count < 2, let event = try await iterator.next() { more.append(event.position) }
                    return more
                }()
                try await Task.sleep(for: .milliseconds(300))
                try await db.terminateOtherBackends()
                try await db.withSecondStore { other in
                    _ = try await other.append(to: Fixture.stream("deployment-1"), events: [Fixture.event(), Fixture.event()])
                }
                return seen + (try await rest)
            }
            #expect(seen == [1, 2, 3])
        }
    }

    @Test func cancellingTheTaskEndsTheSubscriptionCleanly() async throws {
        try await TestDatabase.withDatabase(configuration: Self.notifyOnly) { db in
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event()])
            let received = Flag()
            let task = Task {
                var count = 0
                for try await _ in db.store.subscribe(after: 0) {
                    count += 1
                    received.set()
                }
                return count
            }
            while !received.isSet { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let count = try await withTimeout(.seconds(10)) { try await task.value }
            #expect(count == 1)
        }
    }
}

/// Runs only from `make test`, alone, because it restarts the PostgreSQL server itself.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LEDGER_TEST_RESTART_COMMAND"] != nil))
struct SubscriptionRestartTests {
    @Test func resumesAfterPostgresRestarts() async throws {
        var configuration = EventStoreConfiguration()
        configuration.pollInterval = .milliseconds(500)
        configuration.reconnectDelay = .milliseconds(200)
        try await TestDatabase.withDatabase(configuration: configuration) { db in
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event()])
            let seen = try await withTimeout(.seconds(90)) {
                var iterator = db.store.subscribe(after: 0).makeAsyncIterator()
                var seen: [Int64] = []
                if let first = try await iterator.next() { seen.append(first.position) }
                async let rest: [Int64] = {
                    var more: [Int64] = []
                    while more.count < 1, let event = try await iterator.next() { more.append(event.position) }
                    return more
                }()
                let status = try await ShellCommand.run(ProcessInfo.processInfo.environment["LEDGER_TEST_RESTART_COMMAND"]!)
                #expect(status == 0)
                // The pool reconnects on its own; retry the append until the server accepts again.
                for attempt in 0..<50 {
                    do {
                        _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [Fixture.event(id: UUID(uuidString: "00000000-0000-0000-0000-0000000000aa")!)])
                        break
                    } catch where attempt < 49 {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                return seen + (try await rest)
            }
            #expect(seen == [1, 2])
        }
    }
}
