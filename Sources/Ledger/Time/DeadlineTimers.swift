import Synchronization

/// The deadlines of the process — every ``withDeadline(_:_:_:)`` that waits, pooled query and
/// position wait — fired by one task that ticks while any is pending (a deadline fires at most
/// ``tick`` late) and ends when none is.
final class DeadlineTimers: Sendable {
    static let shared = DeadlineTimers()
    static let tick: Duration = .milliseconds(20)

    private struct State {
        var nextID: UInt64 = 0
        var pending: [UInt64: (deadline: ContinuousClock.Instant, fire: @Sendable () -> Void)] = [:]
        var ticking = false
    }

    private let state = Mutex(State())

    /// Calls `fire` once `deadline` has passed, unless cancelled first.
    func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, startTicking) = state.withLock { state -> (UInt64, Bool) in
            state.nextID &+= 1
            state.pending[state.nextID] = (deadline, fire)
            defer { state.ticking = true }
            return (state.nextID, !state.ticking)
        }
        // Not awaited: the one ticking task lives only while a deadline is pending (see the type).
        if startTicking { Task { await self.tickWhilePending() } }
        return id
    }

    func cancel(_ id: UInt64) {
        _ = state.withLock { $0.pending.removeValue(forKey: id) }
    }

    private func tickWhilePending() async {
        while true {
            try? await Task.sleep(for: Self.tick)
            let now = ContinuousClock.now
            let (due, done) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
                var due: [@Sendable () -> Void] = []
                for (id, entry) in state.pending where entry.deadline <= now {
                    due.append(entry.fire)
                    state.pending[id] = nil
                }
                if state.pending.isEmpty { state.ticking = false }
                return (due, state.pending.isEmpty)
            }
            for fire in due { fire() }
            if done { return }
        }
    }
}
