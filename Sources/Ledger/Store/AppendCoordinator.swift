import PostgresNIO
import Synchronization

/// Group commit: concurrent appends of one process share transactions and their durable flushes.
///
/// Every caller enqueues its request and waits for its answer. While requests are queued, one
/// drain task serves them on one leased connection: it takes whatever is queued as a batch,
/// plans it on the writer's cached state, sends it, and answers everyone in it once it
/// committed; then the next batch. It is the only writer of this process, so a batch is never
/// planned against another batch of ours still in flight, and the connection and its prepared
/// statement stay with it for as long as requests keep coming (no lease and no hand-over per
/// batch). When a batch is not written (another process appended, an id was resent, the
/// database failed) it is redone on fresh state, one request at a time if need be. The drain
/// task ends when the queue is empty; the next request starts a new one. Every caller is
/// answered only after the transaction holding its events committed (or it was refused).
///
/// A request sent just as the server drops the held connection may never be answered
/// (postgres-nio 1.33 loses it), which would leave the drain task waiting forever. So the
/// drain task watches its connection: when it closes, a new drain task takes over the batch in
/// hand (redone on fresh state, where a resent id is answered with its first result) and the
/// queue, and the old one, should it ever wake, finds itself replaced and stops.
final class AppendCoordinator: Sendable {
    fileprivate struct Pending: Sendable, AppendDrainItem {
        let request: AppendRequest
        let slot: AnswerSlot
        var eventCount: Int { request.eventCount }
    }

    private let drain: Mutex<AppendDrain<Pending>>
    let writer: BatchWriter

    init(limits: AppendBatchLimits, writer: BatchWriter) {
        drain = Mutex(AppendDrain(limits: limits))
        self.writer = writer
    }

    /// Appends `request` in some batch and returns once it has committed (or was refused).
    func submit(_ request: AppendRequest) async throws -> AppendResult {
        let slot = AnswerSlot()
        if case .startDrain(let number) = handle(.submitted(Pending(request: request, slot: slot))) {
            // Not awaited: it serves every caller queued behind this one, and ends when the queue
            // is empty (or when a replacement takes over); each caller awaits only its answer.
            Task { await self.drain(number) }
        }
        return try await slot.wait().get()
    }

    /// Whether a drain task is serving the queue.
    var isDraining: Bool { drain.withLock { $0.draining } }

    private func handle(_ event: AppendDrain<Pending>.Event) -> AppendDrain<Pending>.Action {
        drain.withLock { $0.handle(event) }
    }

    /// Serves the queue until it is empty, on one connection when the pool gives one (a new one
    /// if the server closed it), unless it was replaced.
    private func drain(_ number: Int) async {
        while true {
            let served = try? await writer.client.withConnection { connection -> Bool in
                let watch = ClosingConnections.shared.whenClosed(connection) { self.replaceDrain(number) }
                defer { ClosingConnections.shared.forget(watch) }
                return await serve(number, on: connection)
            }
            let current = if let served { served } else { await serve(number, on: nil) }
            guard current, case .keepDraining = handle(.queueEmptied(drain: number)) else { return }
        }
    }

    /// Writes batch after batch until the queue is empty (true) or this drain task was replaced (false).
    private func serve(_ number: Int, on connection: PostgresConnection?) async -> Bool {
        var answered = 0
        while true {
            // Writers answered by the last batch usually append again at once; a few yields let
            // them queue up so the next batch shares a flush instead of leaving half empty.
            if answered > 1 {
                for _ in 0..<4 where queuedCount() < answered { await Task.yield() }
            }
            let batch: [Pending]
            switch handle(.batchWanted(drain: number)) {
            case .write(let taken): batch = taken
            case .queueIsEmpty: return true
            default: return false
            }
            answered = batch.count
            let prepared = try? await writer.prepare(batch.map(\.request))
            let committed = if let prepared { await writer.commit(prepared, on: connection) } else { BatchWriter.CommitResult.retry }
            guard case .answer = handle(.batchDone(drain: number)) else { return false }
            if case .written(let outcomes) = committed {
                // Conflicts are rechecked as in `BatchWriter.write`, after everyone else is answered.
                let unsure = answer(batch, outcomes, holdingConflicts: true)
                if !unsure.isEmpty { await runAlone(unsure) }
            } else {
                writer.invalidate()
                await runAlone(batch)
                // A connection the server dropped (a restart) fails every batch after it: lease anew.
                if connection?.isClosed == true { return true }
            }
        }
    }

    /// Called when the connection of drain task `number` closed: if that task is still the
    /// current one, a new task takes over its batch in hand and the queue.
    private func replaceDrain(_ number: Int) {
        guard case .takeOver(let next, let redo) = handle(.connectionClosed(drain: number)) else { return }
        // Not awaited: called from the connection's close, on its event loop; the replacement
        // serves the queue as any drain task does (see `submit`).
        Task {
            if !redo.isEmpty {
                writer.invalidate()
                await runAlone(redo)
            }
            await drain(next)
        }
    }

    /// Writes a batch on fresh state; if it fails as a whole, its requests one by
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

    /// Answers each request by its outcome; deferred ones go back to the front of the queue. With
    /// `holdingConflicts`, requests refused for a version conflict are returned unanswered.
    @discardableResult
    private func answer(_ batch: [Pending], _ outcomes: [AppendPlanner.Outcome], holdingConflicts: Bool = false) -> [Pending] {
        var deferred: [Pending] = []
        var held: [Pending] = []
        for (pending, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .appended(let result), .alreadyAppended(let result): pending.slot.answer(.success(result))
            case .rejected where holdingConflicts && BatchWriter.isConflict(outcome): held.append(pending)
            case .rejected(let error): pending.slot.answer(.failure(error))
            case .deferred: deferred.append(pending)
            }
        }
        if !deferred.isEmpty { _ = handle(.deferred(deferred)) }
        return held
    }

    private func queuedCount() -> Int { drain.withLock { $0.queue.count } }
}

/// Where one waiting caller receives its answer.
final class AnswerSlot: Sendable {
    private struct State {
        var answer: Result<AppendResult, any Error>?
        var waiter: CheckedContinuation<Result<AppendResult, any Error>, Never>?
    }

    private let state = Mutex(State())

    func answer(_ result: Result<AppendResult, any Error>) {
        state.withLock { state in
            state.answer = result
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: result)
            }
        }
    }

    /// The answer, once there is one.
    func wait() async -> Result<AppendResult, any Error> {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if let answer = state.answer {
                    continuation.resume(returning: answer)
                } else {
                    state.waiter = continuation
                }
            }
        }
    }
}
