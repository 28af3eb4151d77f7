import Synchronization

/// The newest log position announced over Redis pub/sub, and the live feeds waiting for it to
/// move. While the subscription is down it is not ``isHealthy`` and wakes everyone, so that
/// they fall back to PostgreSQL's own LISTEN until it returns.
final class LiveSignal: Sendable {
    private struct Waiter {
        let after: Int64
        let continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?

        func resume() {
            timer?.cancel()
            continuation.resume()
        }
    }

    private struct State {
        var head: Int64 = 0
        var healthy = false
        var waiters: [Int: Waiter] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    var isHealthy: Bool { state.withLock { $0.healthy } }

    /// A position announced by the relay.
    func announce(_ position: Int64) {
        let ready = state.withLock { state -> [Waiter] in
            state.head = max(state.head, position)
            let ready = state.waiters.filter { $0.value.after < state.head }
            for id in ready.keys { state.waiters.removeValue(forKey: id) }
            return Array(ready.values)
        }
        ready.forEach { $0.resume() }
    }

    /// The subscription came up or went down; either way, waiters look at the log again.
    func setHealthy(_ healthy: Bool) {
        let everyone = state.withLock { state -> [Waiter] in
            state.healthy = healthy
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        everyone.forEach { $0.resume() }
    }

    /// Returns when a position past `position` is announced, the health changes, `timeout`
    /// passes or the caller is cancelled.
    func wait(after position: Int64, timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.head > position || !state.healthy || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(after: position, continuation: continuation)
                    return false
                }
                if ready {
                    continuation.resume()
                    return
                }
                let timer = Task {
                    do { try await Task.sleep(for: timeout) } catch { return }
                    self.resume(id)
                }
                let waiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !waiting { timer.cancel() }
            }
        } onCancel: {
            self.resume(id)
        }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
