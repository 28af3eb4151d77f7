import Synchronization

/// What one process's writer last knew of the log: the head, the hash of the event there, the
/// time of its last event, and the state of streams it touched.
///
/// Every snapshot it holds describes one history: either the log as read or committed, or that
/// plus batches prepared on top of it and not yet answered. ``AppendPlannedStatement`` writes a
/// plan only if the head still has the position and the hash the plan assumed, so a plan made
/// on a batch that never committed cannot land. An update that does not follow on from the
/// snapshot it was based on replaces or clears it, never mixes two histories.
final class WriterCache: Sendable {
    struct Snapshot {
        var head: Int64
        /// The hash of the event at `head`; nil for an empty log (or a head recorded before it kept one).
        var headHash: EventHash?
        var lastRecordedAt: Int64
        var streams: [StreamID: AppendPlanner.StreamState]

        func isAt(_ head: Int64, _ headHash: EventHash?) -> Bool {
            self.head == head && self.headHash == headHash
        }
    }

    /// Beyond this many streams the cache starts over (it is only a shortcut).
    static let maximumStreams = 50_000

    private let state = Mutex<Snapshot?>(nil)

    /// What a batch needs: the head, and the states of `wanted` that are cached (`missing` lists
    /// the others). Copies only those entries, never the whole cache. nil when nothing is cached.
    func lookup(_ wanted: some Sequence<StreamID>) -> (snapshot: Snapshot, missing: [StreamID])? {
        state.withLock { cached -> (Snapshot, [StreamID])? in
            guard let cached else { return nil }
            var found = Snapshot(head: cached.head, headHash: cached.headHash, lastRecordedAt: cached.lastRecordedAt, streams: [:])
            var missing: [StreamID] = []
            for stream in wanted {
                if let known = cached.streams[stream] { found.streams[stream] = known } else { missing.append(stream) }
            }
            return (found, missing)
        }
    }

    func clear() { state.withLock { $0 = nil } }

    /// Records the log as read in one snapshot: added to what is cached if that is at the same
    /// head, otherwise in its place.
    func record(read: Snapshot) {
        state.withLock { snapshot in
            if let current = snapshot, current.isAt(read.head, read.headHash),
                current.streams.count + read.streams.count <= Self.maximumStreams {
                snapshot!.streams.merge(read.streams) { _, new in new }
            } else {
                snapshot = read
            }
        }
    }

    /// Records the log as a committed batch left it, in place of whatever was cached.
    func replace(with committed: Snapshot) {
        state.withLock { $0 = committed }
    }

    /// Moves the cache on by a batch planned on the snapshot at `base`: the batch's head and
    /// stream states go on top of it. If the cache has meanwhile moved elsewhere (another batch
    /// was planned, or it was cleared), the two cannot be combined and it is cleared instead.
    func advance(from base: (head: Int64, headHash: EventHash?), to planned: Snapshot) {
        state.withLock { snapshot in
            guard let current = snapshot, current.isAt(base.head, base.headHash),
                current.streams.count + planned.streams.count <= Self.maximumStreams
            else {
                snapshot = nil
                return
            }
            snapshot!.head = planned.head
            snapshot!.headHash = planned.headHash
            snapshot!.lastRecordedAt = max(current.lastRecordedAt, planned.lastRecordedAt)
            snapshot!.streams.merge(planned.streams) { _, new in new }
        }
    }
}

/// How batches were written, for tests and metrics: by the one-round-trip planned path, or by
/// the locked fallback.
public struct AppendPathCounts: Sendable, Hashable {
    public var planned = 0
    public var locked = 0
    /// Planned single appends whose commit token had not been read when their rows ended, so that
    /// a second query on the connection was needed to prove the commit (see `CommitWitness`).
    public var lateWitnesses = 0

    public init(planned: Int = 0, locked: Int = 0, lateWitnesses: Int = 0) {
        self.planned = planned
        self.locked = locked
        self.lateWitnesses = lateWitnesses
    }
}

/// Thread-safe counters behind ``AppendPathCounts``.
final class AppendPathCounters: Sendable {
    private let counts = Mutex(AppendPathCounts())
    func countPlanned() { counts.withLock { $0.planned += 1 } }
    func countLocked() { counts.withLock { $0.locked += 1 } }
    func countLateWitness() { counts.withLock { $0.lateWitnesses += 1 } }
    var current: AppendPathCounts { counts.withLock { $0 } }
}
