import PostgresNIO
import Synchronization

/// Group commit with pipelining: concurrent appends of one process share transactions and their
/// durable flushes, and up to ``Limits/maximumInFlight`` transactions are on their way at once.
///
/// Every caller enqueues its request. If no caller is writing, it becomes the leader: it plans
/// batches of whatever is queued (its own request included), each on top of the expected result
/// of the one before, and sends them on separate connections; PostgreSQL's head lock keeps them
/// in order. When a batch is not written (another process appended, an id was resent, the
/// database failed) the leader lets the batches in flight finish and re-runs the failed ones one
/// by one on fresh state. Once its own request is answered and nothing is in flight, the leader
/// hands the lead to the oldest waiting caller. No background task exists, and every caller is
/// answered only after the transaction holding its events committed (or it was refused).
final class AppendCoordinator: Sendable {
    struct Limits: Sendable {
        var maximumRequests: Int
        var maximumEvents: Int
        var maximumInFlight: Int
    }

    private struct Pending: Sendable {
        let request: AppendRequest
        let slot: AnswerSlot
    }

    private struct Completed: Sendable {
        let batch: [Pending]
        let result: BatchWriter.CommitResult
    }

    private struct State {
        var pending: [Pending] = []
        var leaderActive = false
    }

    private let state = Mutex(State())
    private let limits: Limits
    let writer: BatchWriter

    init(limits: Limits, writer: BatchWriter) {
        self.limits = limits
        self.writer = writer
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
        // With one batch at a time, the leader keeps one connection for its whole turn instead
        // of leasing one from the pool per batch.
        if limits.maximumInFlight == 1,
            (try? await writer.client.withConnection({ connection in await lead(until: own, on: connection) })) != nil
        {
            return
        }
        await lead(until: own, on: nil)
    }

    private func lead(until own: AnswerSlot, on connection: PostgresConnection?) async {
        await withTaskGroup(of: Completed.self) { group in
            var inFlight = 0
            var failed: [[Pending]] = []
            var lastBatchSize = 0
            while true {
                // Writers answered by the last batch usually append again at once; one yield lets
                // them queue up so the next batch shares a flush instead of leaving half empty.
                if inFlight == 0 && lastBatchSize > 1 {
                    for _ in 0..<4 where queuedCount() < lastBatchSize { await Task.yield() }
                }
                if failed.isEmpty, !own.isAnswered, inFlight < limits.maximumInFlight, let batch = takeBatch() {
                    let requests = batch.map(\.request)
                    lastBatchSize = batch.count
                    if inFlight > 0 && writer.needsRead(requests) {
                        // A read taken while our own batches are in flight could mix states.
                        while inFlight > 0, let completed = await group.next() {
                            inFlight -= 1
                            settle(completed, failed: &failed)
                        }
                    }
                    if failed.isEmpty, let prepared = try? await writer.prepare(requests) {
                        group.addTask { Completed(batch: batch, result: await self.writer.commit(prepared, on: connection)) }
                        inFlight += 1
                    } else {
                        failed.append(batch)
                    }
                    continue
                }
                if inFlight > 0, let completed = await group.next() {
                    inFlight -= 1
                    settle(completed, failed: &failed)
                    continue
                }
                if !failed.isEmpty {
                    writer.invalidate()
                    for batch in failed { await runAlone(batch) }
                    failed = []
                    continue
                }
                if own.isAnswered || queuedCount() == 0 {
                    stepDown()
                    return
                }
            }
        }
    }

    private func settle(_ completed: Completed, failed: inout [[Pending]]) {
        switch completed.result {
        case .written(let outcomes): answer(completed.batch, outcomes)
        case .retry: failed.append(completed.batch)
        }
    }

    /// Writes a batch with nothing else in flight; if it fails as a whole, its requests one by
    /// one, so that one bad request cannot fail the others that happened to share its batch.
    private func runAlone(_ batch: [Pending]) async {
        do {
            answer(batch, try await writer.write(batch.map(\.request)))
            return
        } catch {
            guard batch.count > 1 else {
                batch[0].slot.answer(.failure(error))
                return
            }
        }
        for pending in batch {
            do {
                answer([pending], try await writer.write([pending.request]))
            } catch {
                pending.slot.answer(.failure(error))
            }
        }
    }

    private func answer(_ batch: [Pending], _ outcomes: [AppendPlanner.Outcome]) {
        var deferred: [Pending] = []
        for (pending, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .appended(let result), .alreadyAppended(let result): pending.slot.answer(.success(result))
            case .rejected(let error): pending.slot.answer(.failure(error))
            case .deferred: deferred.append(pending)
            }
        }
        if !deferred.isEmpty {
            state.withLock { $0.pending.insert(contentsOf: deferred, at: 0) }
        }
    }

    private func queuedCount() -> Int { state.withLock { $0.pending.count } }

    /// Gives the lead to the oldest waiting caller, or gives it up when nobody waits.
    private func stepDown() {
        state.withLock { state in
            if let next = state.pending.first {
                next.slot.grantLead()
            } else {
                state.leaderActive = false
            }
        }
    }

    /// The next batch from the queue, or nil when it is empty.
    private func takeBatch() -> [Pending]? {
        state.withLock { state -> [Pending]? in
            guard !state.pending.isEmpty else { return nil }
            var count = 0
            var events = 0
            for pending in state.pending {
                let size = pending.request.eventCount
                if count > 0 && (count >= limits.maximumRequests || events + size > limits.maximumEvents) { break }
                count += 1
                events += size
            }
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return batch
        }
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
