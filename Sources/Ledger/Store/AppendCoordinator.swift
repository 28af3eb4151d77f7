import PostgresNIO
import Synchronization

/// Group commit: concurrent appends of one process share transactions and their durable flushes.
///
/// A caller that finds nobody writing writes its own request, in its own task: appends that come
/// one at a time cost no hop to another task. Every other caller queues its request and waits
/// for its answer, and while requests are queued one drain task serves them on one
/// connection: it takes whatever is queued as a batch, plans it on the writer's cached state,
/// sends it, and answers everyone in it once it committed; then the next batch. There is one
/// writer at a time in this process, so a batch is never planned against another batch of ours
/// still in flight, and the writer's connection and its prepared statements stay with it for as
/// long as requests keep coming (``HeldConnection``: no pool lease per batch). When a batch is
/// not written (another process appended, an id was resent, the database failed) it is redone
/// on fresh state, one request at a time if need be. The drain task ends when the queue is
/// empty (``AppendDrain``). Every caller is answered only after the transaction holding its
/// events committed (or it was refused).
///
/// A request sent just as the server drops the held connection may never be answered
/// (postgres-nio 1.33 loses it). So each batch's commit is raced against the connection's
/// close: at the close the writer redoes the batch on fresh state (where an id already
/// written is answered with its first result) and leases a new connection; the lost request,
/// should it ever wake, answers no one.
final class AppendCoordinator: Sendable {
    fileprivate struct Pending: Sendable, AppendDrainItem {
        let request: AppendRequest
        let slot: AnswerSlot
        var eventCount: Int { request.eventCount }
    }

    private let drain: Mutex<AppendDrain<Pending>>
    let writer: BatchWriter
    /// The writer's connection, kept while appends keep coming (no pool lease per batch).
    private let connection: HeldConnection

    init(limits: AppendBatchLimits, writer: BatchWriter) {
        drain = Mutex(AppendDrain(limits: limits))
        self.writer = writer
        connection = HeldConnection(client: writer.client)
    }

    /// Appends `request` in some batch and returns once it has committed (or was refused).
    func submit(_ request: AppendRequest) async throws -> AppendResult {
        let pending = Pending(request: request, slot: AnswerSlot())
        if case .writeOwn = handle(.submitted(pending)) {
            await writeOwn(pending)
            if case .startDrain = handle(.ownWritten) {
                // Not awaited: it serves every caller that queued meanwhile and ends when it finds
                // the queue empty; each caller awaits only its answer. A request lost on a closed
                // connection never holds it (see the type); its lease waits as long as the pool
                // does, and each caller is bounded by its own deadline (a request's, a command's).
                Task { await self.drain() }
            }
        }
        return try await pending.slot.wait().get()
    }

    /// Whether a drain task is serving the queue.
    var isDraining: Bool { drain.withLock { $0.draining } }

    private func handle(_ event: AppendDrain<Pending>.Event) -> AppendDrain<Pending>.Action {
        drain.withLock { $0.handle(event) }
    }

    /// Writes a caller's own request in the caller's task, when nobody else was writing.
    private func writeOwn(_ pending: Pending) async {
        let leased: Bool? = try? await self.connection.withConnection { connection in
            await self.write([pending], on: connection)
            return true
        }
        if leased == nil { await write([pending], on: nil) }
    }

    /// Serves the queue until it is empty, on one connection when the pool gives one (a new one
    /// if the server closed it).
    private func drain() async {
        while true {
            var served = try? await connection.withConnection { connection in await self.serve(on: connection) }
            if served == nil { served = await serve(on: nil) }
            guard case .connectionLost = served else { return }
        }
    }

    private enum Served: Sendable {
        case queueEmpty
        case connectionLost
    }

    /// Writes batch after batch until the queue is empty or the connection is lost.
    private func serve(on connection: PostgresConnection?) async -> Served {
        var expected = 0
        while true {
            // Writers answered by the last batch usually append again at once: a few yields let
            // them rejoin those who queued during its flight, so the next batch takes everyone
            // to one flush instead of splitting them across two.
            if expected > 1 {
                for _ in 0..<Self.yieldsForReturningWriters where queuedCount() < expected { await Task.yield() }
            }
            guard case .write(let batch) = handle(.batchWanted) else { return .queueEmpty }
            let written = await write(batch, on: connection)
            if written.connectionLost { return .connectionLost }
            expected = batch.count + written.queuedAtAnswer
        }
    }

    /// How writing one batch ended.
    private struct BatchEnd {
        /// The connection closed under the batch (it was then redone on fresh state): lease a new one.
        var connectionLost: Bool
        /// Requests that were waiting when the batch was answered.
        var queuedAtAnswer: Int
    }

    /// Writes one batch and answers everyone in it.
    @discardableResult
    private func write(_ batch: [Pending], on connection: PostgresConnection?) async -> BatchEnd {
        let prepared = try? await writer.prepare(batch.map(\.request))
        let committed = if let prepared { await commit(prepared, requests: batch.count, on: connection) } else { BatchWriter.CommitResult.retry }
        let queuedAtAnswer = queuedCount()
        if case .written(let outcomes) = committed {
            // Conflicts are rechecked as in `BatchWriter.write`, after everyone else is answered.
            let unsure = answer(batch, outcomes, holdingConflicts: true)
            if !unsure.isEmpty { await runAlone(unsure) }
            return BatchEnd(connectionLost: false, queuedAtAnswer: queuedAtAnswer)
        }
        writer.invalidate()
        await runAlone(batch)
        // A connection the server dropped (a restart) fails every batch after it: lease anew.
        return BatchEnd(connectionLost: connection?.isClosed == true, queuedAtAnswer: queuedAtAnswer)
    }

    /// Commits `prepared` on the held connection, or answers `.retry` if that connection closes first.
    /// A small batch's statement finishes on the connection's event loop, which saves waking a
    /// thread between the server's answer and the batch's end; for large batches (sixteen
    /// writers) that measured slower, and COPY's encoding must not hold the loop at all.
    private func commit(_ prepared: BatchWriter.PreparedBatch, requests: Int, on connection: PostgresConnection?) async -> BatchWriter.CommitResult {
        guard let connection else { return await writer.commit(prepared, on: nil) }
        var onLoop = requests <= Self.largestBatchFinishedOnLoop
        if case .copy = prepared.write { onLoop = false }
        return await ClosingConnections.shared.race(connection, closed: .retry, onLoop: onLoop) { await self.writer.commit(prepared, on: connection) }
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

    /// Batches of at most this many requests finish on their connection's event loop.
    private static let largestBatchFinishedOnLoop = 4

    /// At most this many yields wait for the last batch's writers (a few microseconds each).
    private static let yieldsForReturningWriters = 16

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
