import Synchronization

/// Group commit: concurrent appends of one process share a transaction and its durable flush.
///
/// Every caller enqueues its request. If no caller is writing, it becomes the leader and writes
/// batches of whatever is queued — its own request included — until its own is answered; then
/// it hands the lead to the oldest waiting caller. No background task exists: work is done by
/// the callers that are waiting for it anyway, and every caller is answered only after the
/// transaction holding its events has committed.
final class AppendCoordinator: Sendable {
    /// Runs one batch and returns one outcome per request, or throws if the batch as a whole failed.
    typealias Executor = @Sendable ([AppendRequest]) async throws -> [AppendPlanner.Outcome]

    struct Limits: Sendable {
        var maximumRequests: Int
        var maximumEvents: Int
    }

    private struct Pending: Sendable {
        let request: AppendRequest
        let slot: AnswerSlot
    }

    private struct State {
        var pending: [Pending] = []
        var leaderActive = false
    }

    private let state = Mutex(State())
    private let limits: Limits
    private let execute: Executor

    init(limits: Limits, execute: @escaping Executor) {
        self.limits = limits
        self.execute = execute
    }

    /// Appends `request` in some batch and returns once it has committed (or was refused).
    func submit(_ request: AppendRequest) async throws -> AppendResult {
        let slot = AnswerSlot()
        let leads = state.withLock { state -> Bool in
            state.pending.append(Pending(request: request, slot: slot))
            if state.leaderActive { return false }
            state.leaderActive = true
            return true
        }
        if leads { await lead(until: slot) }
        while true {
            switch await slot.wait() {
            case .answer(let result): return try result.get()
            case .lead: await lead(until: slot)
            }
        }
    }

    private func lead(until own: AnswerSlot) async {
        while true {
            guard let batch = takeBatch() else { return }
            let outcomes = await run(batch.map(\.request))
            var deferred: [Pending] = []
            for (pending, outcome) in zip(batch, outcomes) {
                switch outcome {
                case .appended(let result), .alreadyAppended(let result): pending.slot.answer(.success(result))
                case .rejected(let error): pending.slot.answer(.failure(error))
                case .deferred: deferred.append(pending)
                }
            }
            let ownAnswered = own.isAnswered
            let stepsDown = state.withLock { state -> Bool in
                state.pending.insert(contentsOf: deferred, at: 0)
                guard ownAnswered else { return false }
                if let next = state.pending.first {
                    next.slot.grantLead()
                } else {
                    state.leaderActive = false
                }
                return true
            }
            if stepsDown { return }
        }
    }

    /// The next batch, or nil (and the lead given up) when nothing is queued.
    private func takeBatch() -> [Pending]? {
        state.withLock { state -> [Pending]? in
            guard !state.pending.isEmpty else {
                state.leaderActive = false
                return nil
            }
            var count = 0
            var events = 0
            for pending in state.pending {
                let size = pending.request.streams.reduce(0) { $0 + $1.events.count }
                if count > 0 && (count >= limits.maximumRequests || events + size > limits.maximumEvents) { break }
                count += 1
                events += size
            }
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return batch
        }
    }

    /// Runs a batch; if it fails as a whole, runs its requests one by one so that one bad
    /// request cannot fail the others that happened to share its transaction.
    private func run(_ requests: [AppendRequest]) async -> [AppendPlanner.Outcome] {
        do {
            return try await execute(requests)
        } catch {
            guard requests.count > 1 else { return [.rejected(error)] }
        }
        var outcomes: [AppendPlanner.Outcome] = []
        for request in requests {
            do {
                outcomes.append(contentsOf: try await execute([request]))
            } catch {
                outcomes.append(.rejected(error))
            }
        }
        return outcomes
    }
}

/// Where one waiting caller receives its answer, or the lead of the group commit.
final class AnswerSlot: Sendable {
    enum Signal: Sendable {
        case answer(Result<AppendResult, any Error>)
        case lead
    }

    private struct State {
        var answer: Result<AppendResult, any Error>?
        var leadGranted = false
        var waiter: CheckedContinuation<Signal, Never>?
    }

    private let state = Mutex(State())

    var isAnswered: Bool { state.withLock { $0.answer != nil } }

    func answer(_ result: Result<AppendResult, any Error>) {
        state.withLock { state in
            state.answer = result
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: .answer(result))
            }
        }
    }

    func grantLead() {
        state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: .lead)
            } else {
                state.leadGranted = true
            }
        }
    }

    /// The answer if there is one, else the lead if granted, else waits for either.
    func wait() async -> Signal {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if let answer = state.answer {
                    continuation.resume(returning: .answer(answer))
                } else if state.leadGranted {
                    state.leadGranted = false
                    continuation.resume(returning: .lead)
                } else {
                    state.waiter = continuation
                }
            }
        }
    }
}
