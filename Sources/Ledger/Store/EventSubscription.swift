import Logging
import PostgresNIO

extension EventStore {
    /// Follows all streams after `position` (0: from the beginning): catches up in batches, then
    /// goes live. A commit wakes it through LISTEN/NOTIFY; a slow poll is only the safety net.
    /// It survives dropped connections and database restarts by resuming after the last event
    /// it delivered, and ends (returns nil) when the iterating task is cancelled.
    public func subscribe(after position: Int64, filter: EventFilter = .all) -> EventSubscription {
        EventSubscription(store: self, position: position, filter: filter)
    }

    /// Returns when the head may have moved past `position`: on a commit, or after `timeout`.
    ///
    /// While the process's ``HeadListener`` runs, this waits on it and holds no connection.
    /// Otherwise it LISTENs on a pooled connection of its own that only listens: the head is
    /// checked through another pooled connection. (A query in flight on a listening
    /// connection that the server terminates was seen to wait forever in postgres-nio, deaf to
    /// cancellation; a bare listener is not.)
    public func waitForAppend(after position: Int64, timeout: Duration) async throws {
        if headListener.isRunning {
            await headListener.wait(after: position, timeout: timeout)
            try Task.checkCancellation()
            return
        }
        try await client.withLiveConnection { connection in
            try await connection.listen(on: Self.notificationChannel) { notifications in
                // Listening before this check closes the race with a commit that happened
                // between the caller's last read and the LISTEN.
                if try await self.headPosition() > position { return }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await _ in notifications { return }
                    }
                    group.addTask { try await Task.sleep(for: timeout) }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// How long a caught-up subscription waits before it looks at the log anyway: long while
    /// the head listener is there to wake it, short (the safety net) while it is not.
    var idleWait: Duration {
        headListener.isListening ? configuration.listeningPollInterval : configuration.pollInterval
    }
}

/// A live, resumable feed of the log in position order; see ``EventStore/subscribe(after:filter:)``.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let store: EventStore
    let position: Int64
    let filter: EventFilter

    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, position: position, filter: filter)
    }

    /// Delivers buffered events, fetching the next page or waiting for a commit when it runs dry.
    public struct Iterator: AsyncIteratorProtocol {
        let store: EventStore
        /// Everything up to here was delivered or filtered out.
        public private(set) var position: Int64
        let filter: EventFilter
        var buffer: [RecordedEvent] = []
        var nextIndex = 0
        var scannedThrough: Int64 = 0
        var failures = 0

        init(store: EventStore, position: Int64, filter: EventFilter) {
            self.store = store
            self.position = position
            self.filter = filter
        }

        public mutating func next() async throws -> RecordedEvent? {
            while !Task.isCancelled {
                if nextIndex < buffer.count {
                    let event = buffer[nextIndex]
                    nextIndex += 1
                    position = Swift.max(position, event.position)
                    return event
                }
                // The page is delivered, so what it scanned past (filtered-out events) is done too.
                position = Swift.max(position, scannedThrough)
                do {
                    let page = try await store.readAll(after: position, filter: filter)
                    failures = 0
                    buffer = page.events
                    nextIndex = 0
                    scannedThrough = page.scannedThrough
                    if page.events.isEmpty {
                        position = Swift.max(position, page.scannedThrough)
                        try await store.waitForAppend(after: position, timeout: store.idleWait)
                    }
                } catch {
                    if Task.isCancelled || error is CancellationError { return nil }
                    failures += 1
                    store.logger.warning(
                        "subscription lost the database; resuming",
                        metadata: ["ledger.position": "\(position)", "error": "\(PostgresErrorText.safe(error))"])
                    do {
                        try await Task.sleep(for: store.configuration.reconnectDelay * Swift.min(failures, 10))
                    } catch {
                        return nil
                    }
                }
            }
            return nil
        }
    }
}
