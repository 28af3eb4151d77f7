import Synchronization

/// What one process's writer last knew of the log: the head, the time of its last event, and
/// the state of streams it touched. Valid exactly as long as the head has not moved since, which
/// ``AppendPlannedStatement`` checks under the head lock; any doubt clears it.
final class WriterCache: Sendable {
    struct Snapshot {
        var head: Int64
        var lastRecordedAt: Int64
        var streams: [StreamID: AppendPlanner.StreamState]
    }

    /// Beyond this many streams the cache starts over (it is only a shortcut).
    static let maximumStreams = 50_000

    private let state = Mutex<Snapshot?>(nil)

    /// What a batch needs: the head, and the states of `wanted` that are cached (`missing` lists
    /// the others). Copies only those entries, never the whole cache. nil when nothing is cached.
    func lookup(_ wanted: some Sequence<StreamID>) -> (snapshot: Snapshot, missing: [StreamID])? {
        state.withLock { cached -> (Snapshot, [StreamID])? in
            guard let cached else { return nil }
            var found = Snapshot(head: cached.head, lastRecordedAt: cached.lastRecordedAt, streams: [:])
            var missing: [StreamID] = []
            for stream in wanted {
                if let known = cached.streams[stream] { found.streams[stream] = known } else { missing.append(stream) }
            }
            return (found, missing)
        }
    }

    func clear() { state.withLock { $0 = nil } }

    /// Records the log as it stands after a commit, or as just read.
    func update(head: Int64, lastRecordedAt: Int64, streams: [StreamID: AppendPlanner.StreamState], replacing: Bool) {
        state.withLock { snapshot in
            if replacing || snapshot == nil || (snapshot?.streams.count ?? 0) + streams.count > Self.maximumStreams {
                snapshot = Snapshot(head: head, lastRecordedAt: lastRecordedAt, streams: streams)
            } else {
                snapshot!.head = head
                snapshot!.lastRecordedAt = max(snapshot!.lastRecordedAt, lastRecordedAt)
                snapshot!.streams.merge(streams) { _, new in new }
            }
        }
    }
}

/// How batches were written, for tests and metrics: by the one-round-trip planned path, or by
/// the locked fallback.
public struct AppendPathCounts: Sendable, Hashable {
    public var planned = 0
    public var locked = 0

    public init(planned: Int = 0, locked: Int = 0) {
        self.planned = planned
        self.locked = locked
    }
}

/// Thread-safe counters behind ``AppendPathCounts``.
final class AppendPathCounters: Sendable {
    private let counts = Mutex(AppendPathCounts())
    func countPlanned() { counts.withLock { $0.planned += 1 } }
    func countLocked() { counts.withLock { $0.locked += 1 } }
    var current: AppendPathCounts { counts.withLock { $0 } }
}
