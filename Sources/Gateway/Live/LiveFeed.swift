import Ledger
import LedgerDomain
import Logging
import ServiceLifecycle
import Synchronization

/// One gateway's single reader of new deployment events, shared by all its live streams: it
/// follows the log once (woken by the Redis relay, or by PostgreSQL's LISTEN while Redis is
/// away), renders each event once, keeps the most recent ones in memory for clients that
/// reconnect, and hands each stream only what its scope shows.
///
/// Every stream has a bounded buffer: a client that falls more than ``Configuration/clientBuffer``
/// events behind is cut off (it resumes by `Last-Event-ID` from the log), so a slow client never
/// slows the feed or the others.
public final class LiveFeed: Service, Sendable {
    /// The feed's limits.
    public struct Configuration: Sendable {
        /// Events a stream may have waiting before it is cut off.
        public var clientBuffer = 2_000
        /// Recent events kept in memory for reconnecting clients, at most this many bytes.
        public var recentBytes = 16 << 20
        /// A comment to every stream this often, so proxies keep idle ones open.
        public var heartbeat: Duration = .seconds(15)
        /// How long the feed waits without a wake-up before it looks at the log anyway.
        public var idlePoll: Duration = .seconds(5)
        /// Streams that may read the log at once to catch up (one page each; see ``ReplaySlots``).
        public var replayReaders = 4
        /// How long an answer of a hot read is kept at most (see ``HotReadCache``).
        public var hotReadTimeToLive: Duration = HotReadCache.defaultTimeToLive

        public init() {}
    }

    /// What a stream receives.
    enum Item: Sendable {
        case event(LiveEvent)
        case heartbeat
    }

    /// How a new stream catches up before the live items.
    enum CatchUp: Sendable {
        /// These recent events (already scoped) come first.
        case recent([LiveEvent])
        /// Read the log after the client's position up to this one first.
        case log(through: Int64)
    }

    struct Subscription: Sendable {
        let id: Int
        /// The position the stream starts after: the client's, or the feed's when it gave none.
        let start: Int64
        let catchUp: CatchUp
        let items: AsyncStream<Item>
    }

    private struct Subscriber {
        let scope: EventStreamScope
        let continuation: AsyncStream<Item>.Continuation
    }

    private struct State {
        /// Everything up to here has been handed out; nil until the feed has started.
        var position: Int64?
        /// Recent events, oldest first, and the position before the oldest.
        var recent: [LiveEvent] = []
        var recentFloor: Int64 = 0
        var recentBytes = 0
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var cutOff = 0
    }

    private let store: EventStore
    private let signal: LiveSignal?
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// Told of every deployment event the feed reads, so that kept answers are dropped in time.
    let hotReads: HotReadCache

    init(store: EventStore, signal: LiveSignal?, configuration: Configuration, logger: Logger) {
        self.store = store
        self.signal = signal
        self.configuration = configuration
        self.hotReads = HotReadCache(timeToLive: configuration.hotReadTimeToLive)
        self.logger = logger
    }

    /// Streams connected now (for metrics).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    /// Streams cut off for falling behind since start (for metrics and tests).
    var cutOffCount: Int { state.withLock { $0.cutOff } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var directory = EnvironmentDirectory()
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await self.follow(&directory)
                } catch {
                    self.hotReads.suspend()
                    if Task.isCancelled { break }
                    failures += 1
                    self.logger.warning("live feed lost the log; retrying", metadata: ["error": "\(PostgresErrorText.safe(error))"])
                    try? await Task.sleep(for: .milliseconds(200) * min(failures, 25))
                }
            }
        }
        hotReads.suspend()
        finishAll()
    }

    private func follow(_ directory: inout EnvironmentDirectory) async throws {
        if state.withLock({ $0.position }) == nil {
            let head = try await store.headPosition()
            state.withLock {
                $0.position = head
                $0.recentFloor = head
            }
        }
        let filter = EventFilter(categories: ["deployment"])
        var nextHeartbeat = ContinuousClock.now + configuration.heartbeat
        while !Task.isCancelled {
            let position = state.withLock { $0.position ?? 0 }
            let page = try await store.readAll(after: position, filter: filter, limit: 1_000)
            var events: [LiveEvent] = []
            for recorded in page.events {
                let made = try await LiveEvent.make(recorded) { deployment, record in
                    try await directory.environment(of: deployment, record, store: self.store)
                }
                if let made { events.append(made) }
            }
            publish(events, through: max(position, page.scannedThrough))
            hotReads.noteEvents(
                page.events.map { (DomainIDs.id(of: $0.streamID), $0.position) }, through: max(position, page.scannedThrough),
                caughtUp: page.events.count < 1_000)
            if page.events.count == 1_000 { continue }
            if ContinuousClock.now >= nextHeartbeat {
                broadcast(.heartbeat)
                nextHeartbeat = .now + configuration.heartbeat
            }
            let wait = min(configuration.idlePoll, ContinuousClock.now.duration(to: nextHeartbeat))
            let through = state.withLock { $0.position ?? 0 }
            if let signal, signal.isHealthy {
                await signal.wait(after: through, timeout: wait)
            } else {
                try await store.waitForAppend(after: through, timeout: max(wait, .milliseconds(1)))
            }
        }
    }

    /// Hands new events to the streams whose scope shows them and keeps them as recent.
    private func publish(_ events: [LiveEvent], through position: Int64) {
        state.withLock { state in
            for event in events where event.isShown {
                state.recent.append(event)
                state.recentBytes += event.approximateBytes
                for (id, subscriber) in state.subscribers where subscriber.scope.includes(event) {
                    if case .dropped = subscriber.continuation.yield(.event(event)) {
                        subscriber.continuation.finish()
                        state.subscribers.removeValue(forKey: id)
                        state.cutOff += 1
                    }
                }
            }
            var dropped = 0
            while state.recentBytes > configuration.recentBytes, dropped < state.recent.count {
                state.recentBytes -= state.recent[dropped].approximateBytes
                dropped += 1
            }
            if dropped > 0 {
                state.recentFloor = state.recent[dropped - 1].position
                state.recent.removeFirst(dropped)
            }
            state.position = max(state.position ?? 0, position)
        }
    }

    private func broadcast(_ item: Item) {
        state.withLock { state in
            for subscriber in state.subscribers.values { subscriber.continuation.yield(item) }
        }
    }

    /// Registers a stream for what its scope shows after `after` — or from now on, live, when
    /// it is nil (nothing to read back); nil while the feed has not started yet.
    func subscribe(scope: EventStreamScope, after: Int64?) -> Subscription? {
        let (items, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(configuration.clientBuffer))
        return state.withLock { state -> Subscription? in
            guard let position = state.position else { return nil }
            state.nextID += 1
            let id = state.nextID
            state.subscribers[id] = Subscriber(scope: scope, continuation: continuation)
            let start = after ?? position
            let catchUp: CatchUp
            if start >= (state.recent.last?.position ?? state.recentFloor) {
                // Nothing kept is newer (every stream that starts live): no scan under the lock.
                catchUp = .recent([])
            } else if start >= state.recentFloor {
                // Kept in position order: only the tail past `start` is looked at.
                let first = state.recent.partitioningIndex { $0.position > start }
                catchUp = .recent(state.recent[first...].filter { scope.includes($0) })
            } else {
                catchUp = .log(through: position)
            }
            return Subscription(id: id, start: start, catchUp: catchUp, items: items)
        }
    }

    func unsubscribe(_ id: Int) {
        state.withLock { $0.subscribers.removeValue(forKey: id) }?.continuation.finish()
    }

    /// Waits (up to `timeout`) for the feed to know where the log is.
    func subscribe(scope: EventStreamScope, after: Int64?, within timeout: Duration) async throws -> Subscription {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let subscription = subscribe(scope: scope, after: after) { return subscription }
            guard ContinuousClock.now < deadline else { throw LedgerError(.unavailable, "the live feed has not started yet") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func finishAll() {
        let all = state.withLock { state -> [Subscriber] in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        all.forEach { $0.continuation.finish() }
    }
}

extension Array {
    /// The first index whose element satisfies `isPast`, for an array in which every element
    /// that does comes after every element that does not (binary search).
    func partitioningIndex(where isPast: (Element) -> Bool) -> Int {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if isPast(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
