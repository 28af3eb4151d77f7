import Synchronization

/// The highest log position heard of, and the tasks waiting for it to pass theirs: each waits
/// until the position moves past what it has, `wakeAll()` is called (the source of news was
/// lost or regained), its timeout passes or it is cancelled. Shared by the process's
/// ``HeadListener`` (news from PostgreSQL) and the gateway's Redis wake-up.
public final class PositionWaiters: Sendable {
    private struct Waiter {
        let after: Int64
        let continuation: CheckedContinuation<Void, Never>
        /// Ends the wait after its timeout (a deadline of the process-wide timer); cancelled
        /// when the wait ends sooner.
        var timer: UInt64?

        func resume() {
            if let timer { DeadlineTimers.shared.cancel(timer) }
            continuation.resume()
        }
    }

    private struct State {
        var head: Int64 = 0
        var waiters: [Int: Waiter] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The highest position announced so far.
    public var head: Int64 { state.withLock { $0.head } }
    /// How many are waiting (for metrics and tests).
    public var count: Int { state.withLock { $0.waiters.count } }

    /// Returns once the position is past `position`, `wakeAll()` is called, `timeout` passes or
    /// the caller is cancelled — or at once when `readyNow` holds (checked under the same lock
    /// as `wakeAll()`, so a wake-up between the check and the wait is never missed).
    public func wait(after position: Int64, timeout: Duration, readyNow: @Sendable () -> Bool = { false }) async {
        let id = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.head > position || readyNow() || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(after: position, continuation: continuation)
                    return false
                }
                if ready {
                    continuation.resume()
                    return
                }
                let timer = DeadlineTimers.shared.schedule(at: .now + timeout) { self.resume(id) }
                let waiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !waiting { DeadlineTimers.shared.cancel(timer) }
            }
        } onCancel: {
            self.resume(id)
        }
    }

    /// A new position: wakes everyone waiting for less.
    public func advance(to position: Int64) {
        let ready = state.withLock { state -> [Waiter] in
            state.head = max(state.head, position)
            let ready = state.waiters.filter { $0.value.after < state.head }
            for id in ready.keys { state.waiters.removeValue(forKey: id) }
            return Array(ready.values)
        }
        ready.forEach { $0.resume() }
    }

    /// Wakes everyone: whatever they wait on may have changed (events may have been missed).
    public func wakeAll() {
        let everyone = state.withLock { state -> [Waiter] in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        everyone.forEach { $0.resume() }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
