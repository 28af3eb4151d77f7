import Synchronization

/// Runs `body` and returns its answer, or throws `timeoutError()` once `limit` has passed,
/// abandoning `body` (it is cancelled, and whatever it still does is ignored). For the outer
/// bounds — an HTTP request, a whole command — where an answer must come in time even if a
/// query to a database that stopped answering ignores cancellation.
///
/// `body` starts at once on the caller's thread, in a task of its own (`Task.immediate`). Work
/// that never waits — an HTTP read answered from memory — is therefore done before any timer or
/// continuation exists, and costs one task; only work that waits is raced against the deadline.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ timeoutError: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let deadline = ContinuousClock.now + limit
    let race = DeadlineRace<T>()
    // Not awaited: the caller awaits `race`, which this task or the timer settles first.
    let work = Task.immediate { race.settle(await Result(awaiting: body)) }
    if let done = race.settledWithoutWaiting { return try done.get() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let timer = DeadlineTimers.shared.schedule(at: deadline) {
                race.settle(.failure(timeoutError()))
                work.cancel()
            }
            race.wait(continuation, timer: timer)
        }
    } onCancel: {
        work.cancel()
    }
}

/// The one answer of a ``withDeadline(_:_:_:)``: the body's result or the timeout, whichever
/// comes first; the other is ignored.
final class DeadlineRace<T: Sendable>: Sendable {
    private enum State {
        case running
        case waiting(CheckedContinuation<T, any Error>, timer: UInt64)
        case settled(Result<T, any Error>)
        case answered
    }

    private let state = Mutex(State.running)

    /// The result, when it came before the caller began to wait for it.
    var settledWithoutWaiting: Result<T, any Error>? {
        state.withLock { state in
            guard case .settled(let result) = state else { return nil }
            state = .answered
            return result
        }
    }

    /// Gives `result` as the answer, unless there is one already.
    func settle(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> (CheckedContinuation<T, any Error>, UInt64)? in
            switch state {
            case .running:
                state = .settled(result)
                return nil
            case .waiting(let continuation, let timer):
                state = .answered
                return (continuation, timer)
            case .settled, .answered:
                return nil
            }
        }
        guard let (continuation, timer) = waiter else { return }
        DeadlineTimers.shared.cancel(timer)
        continuation.resume(with: result)
    }

    /// Answers `continuation` when the result comes (at once if it came already).
    func wait(_ continuation: CheckedContinuation<T, any Error>, timer: UInt64) {
        let settled = state.withLock { state -> Result<T, any Error>? in
            switch state {
            case .running:
                state = .waiting(continuation, timer: timer)
                return nil
            case .settled(let result):
                state = .answered
                return result
            case .waiting, .answered:
                preconditionFailure("a deadline race is waited for once")
            }
        }
        guard let settled else { return }
        DeadlineTimers.shared.cancel(timer)
        continuation.resume(with: settled)
    }
}
