import Ledger
import Synchronization

/// How far the state of each projection this process runs reflects the log: published as each
/// batch commits (and as the runner finds nothing of the projection's up to the head), so that
/// a request waiting for its write to be projected (read-your-writes) wakes at that commit
/// instead of polling the checkpoint rows.
///
/// Only projections whose active runner is in this process, on the same ``EventStore``, are
/// known here; for the others the caller falls back to reading the checkpoints from PostgreSQL.
public final class ProjectionCheckpoints: Sendable {
    public static let shared = ProjectionCheckpoints()

    private struct Key: Hashable {
        let store: ObjectIdentifier
        let projection: String
    }

    private struct Entry {
        var waiters = PositionWaiters()
        var active = false
        /// The store the runner follows (an identifier alone could be reused by a later store).
        weak var store: EventStore?
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// This process became the active runner of `projection`, whose checkpoint is at `position`.
    /// What was published before does not count: a rebuild may have swapped in another table.
    func activate(_ projection: String, of store: EventStore, at position: Int64) {
        let key = Key(store: ObjectIdentifier(store), projection: projection)
        let fresh = PositionWaiters()
        fresh.advance(to: position)
        let previous = entries.withLock { entries -> PositionWaiters? in
            defer { entries[key] = Entry(waiters: fresh, active: true, store: store) }
            return entries[key]?.waiters
        }
        previous?.wakeAll()
    }

    /// This process stopped being the active runner of `projection`: its waiters ask PostgreSQL.
    func deactivate(_ projection: String, of store: EventStore) {
        let key = Key(store: ObjectIdentifier(store), projection: projection)
        let waiters = entries.withLock { entries -> PositionWaiters? in
            defer { entries[key] = nil }
            return entries[key]?.waiters
        }
        waiters?.wakeAll()
    }

    /// The state of `projection` reflects the log through `position` (committed).
    func published(_ projection: String, of store: EventStore, at position: Int64) {
        entries.withLock { $0[Key(store: ObjectIdentifier(store), projection: projection)]?.waiters }?.advance(to: position)
    }

    /// Waits until the state of every one of `projections` reflects the log through `position`
    /// in this process; false at once if one is not run here, or once `timeout` has passed.
    public func wait(_ projections: [String], of store: EventStore, reach position: Int64, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        for projection in projections {
            let key = Key(store: ObjectIdentifier(store), projection: projection)
            while true {
                guard let waiters = entries.withLock({ entries in
                    entries[key].flatMap { $0.active && $0.store === store ? $0.waiters : nil }
                })
                else { return false }
                if waiters.head >= position { break }
                let left = deadline - .now
                guard left > .zero else { return false }
                await waiters.wait(after: position - 1, timeout: left)
            }
        }
        return true
    }
}
