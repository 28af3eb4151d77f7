import Ledger
import Logging
import PostgresNIO

/// Rebuilds several projections in one pass over the log (`ledger projections rebuild all`):
/// each page is read and decoded once and applied to every projection's fresh copy at the same
/// time, each on its own connection and in its own transaction with its checkpoint; then each
/// copy is handed over and swapped in exactly as ``ProjectionRebuilder`` does for one
/// (invariant 7). A projection stopped by a bad event keeps its live copy and is named in the
/// outcome; the others are swapped in.
public struct ProjectionSetRebuilder: Sendable {
    public let runners: [ProjectionRunner]

    public init(runners: [ProjectionRunner]) {
        self.runners = runners
    }

    /// How far the shared pass has got.
    public struct Progress: Sendable {
        public var position: Int64
        public var head: Int64
        public var elapsed: Duration
    }

    /// What happened to each projection.
    public struct Outcome: Sendable {
        public var rebuilt: [String: ProjectionRebuilder.Summary] = [:]
        /// Projections that could not be rebuilt, with the reason; their live copies are untouched.
        public var failed: [String: String] = [:]
    }

    public func rebuild(handoverTimeout: Duration = .seconds(60), progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Outcome {
        guard let first = runners.first else { return Outcome() }
        return try await Self.withConnections(runners.count, from: first.client) { connections in
            try await rebuild(on: connections, handoverTimeout: handoverTimeout, progress: progress)
        }
    }

    private func rebuild(
        on connections: [PostgresConnection], handoverTimeout: Duration, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> Outcome {
        let rebuilders = runners.map(ProjectionRebuilder.init(runner:))
        var begun = 0
        do {
            for (rebuilder, connection) in zip(rebuilders, connections) {
                try await rebuilder.begin(on: connection)
                begun += 1
                try await rebuilder.createNext(on: connection)
            }
        } catch {
            for index in 0..<begun { await rebuilders[index].abandon(on: connections[index]) }
            throw error
        }
        let clock = ContinuousClock()
        let started = clock.now
        var failed: [Int: String] = [:]
        let scratches = rebuilders.map { _ in ProjectionScratch() }
        do {
            failed = try await fill(rebuilders, scratches: scratches, on: connections) { position, head in
                progress(Progress(position: position, head: head, elapsed: clock.now - started))
            }
        } catch {
            for (rebuilder, connection) in zip(rebuilders, connections) { await rebuilder.abandon(on: connection) }
            throw error
        }
        let buildTime = clock.now - started
        var outcome = Outcome()
        for (index, reason) in failed {
            await rebuilders[index].abandon(on: connections[index])
            outcome.failed[rebuilders[index].projection.name] = reason
        }
        let finishing = rebuilders.indices.filter { failed[$0] == nil }
        let finished = await withTaskGroup(of: Finished.self) { group in
            for index in finishing {
                let rebuilder = rebuilders[index], connection = connections[index], scratch = scratches[index]
                group.addTask {
                    do {
                        try await rebuilder.finishBuild(scratch, on: connection)
                        let summary = try await rebuilder.finish(buildTime: buildTime, handoverTimeout: handoverTimeout, on: connection)
                        return Finished(name: rebuilder.projection.name, summary: summary, failure: nil)
                    } catch {
                        await rebuilder.abandon(on: connection)
                        return Finished(name: rebuilder.projection.name, summary: nil, failure: PostgresErrorText.safe(error))
                    }
                }
            }
            var all: [Finished] = []
            for await one in group { all.append(one) }
            return all
        }
        for one in finished {
            if let summary = one.summary { outcome.rebuilt[one.name] = summary }
            if let failure = one.failure { outcome.failed[one.name] = failure }
        }
        return outcome
    }

    /// How one projection's share of a page went.
    private struct Applied: Sendable {
        var index: Int
        var checkpoint: ProjectionSchema.Checkpoint
        var failure: String?
    }

    /// How one projection's hand-over and swap went.
    private struct Finished: Sendable {
        var name: String
        var summary: ProjectionRebuilder.Summary?
        var failure: String?
    }

    /// Applies the log up to the head as it is now to every `_next` copy: pages of the event
    /// types any of them reads, decoded once, the next page read while this one is applied.
    /// Returns the projections stopped by a bad event, with the reason.
    private func fill(
        _ rebuilders: [ProjectionRebuilder], scratches: [ProjectionScratch], on connections: [PostgresConnection],
        report: @escaping (Int64, Int64) -> Void
    ) async throws -> [Int: String] {
        let store = runners[0].store
        let filter = EventFilter(eventTypes: Set(runners.flatMap(\.projection.eventTypes)))
        let batchSize = runners.map(\.configuration.effectiveRebuildBatchSize).max() ?? 20_000
        let head = try await store.headPosition()
        let read: @Sendable (Int64) async throws -> (ProjectionBatch, Int64) = { position in
            let page = try await store.readAll(after: position, filter: filter, limit: batchSize)
            return (ProjectionBatch(decoding: page.events), page.scannedThrough)
        }
        var checkpoints = Array(repeating: ProjectionSchema.Checkpoint(position: 0, events: 0), count: rebuilders.count)
        // A projection that reads few of a page's events gathers them over several pages and
        // applies them together (each batch loads and stores every row it touches once); one
        // that reads many applies each page, so that the pages' work stays spread out.
        var gathered = Array(repeating: [ProjectionBatch](), count: rebuilders.count)
        var gatheredEvents = Array(repeating: 0, count: rebuilders.count)
        var failed: [Int: String] = [:]
        var position: Int64 = 0
        // Read ahead: the next page is read while this one is applied (each awaited in turn).
        var pending: Task<(ProjectionBatch, Int64), any Error>? = head > 0 ? Task { try await read(0) } : nil
        defer { pending?.cancel() }
        while let reading = pending {
            let (batch, scanned) = try await reading.value
            let last = scanned <= position || scanned >= head
            position = max(position, scanned)
            pending = last ? nil : Task { try await read(scanned) }
            var dueBatches: [(index: Int, batch: ProjectionBatch)] = []
            for index in rebuilders.indices where failed[index] == nil {
                let mine = batch.filtered(to: rebuilders[index].projection.eventTypes)
                let due = last || gatheredEvents[index] + mine.count >= batchSize || mine.count >= batchSize / 4
                if !mine.isEmpty {
                    // Kept for a later page: in a page of its own, so this page can go.
                    gathered[index].append(due ? mine : mine.compacted())
                    gatheredEvents[index] += mine.count
                }
                if due {
                    var joined = ProjectionBatch(joining: gathered[index])
                    joined.scratch = scratches[index]
                    dueBatches.append((index, joined))
                    gathered[index] = []
                    gatheredEvents[index] = 0
                }
            }
            try await applyConcurrently(
                dueBatches, rebuilders: rebuilders, connections: connections, through: position, checkpoints: &checkpoints, failed: &failed)
            report(position, head)
        }
        return failed
    }

    /// Applies each due batch to its projection's `_next` copy, all at once (one connection each);
    /// moves their checkpoints, or records why one stopped.
    private func applyConcurrently(
        _ dueBatches: [(index: Int, batch: ProjectionBatch)], rebuilders: [ProjectionRebuilder], connections: [PostgresConnection], through: Int64,
        checkpoints: inout [ProjectionSchema.Checkpoint], failed: inout [Int: String]
    ) async throws {
        let current = checkpoints
        let applied = try await withThrowingTaskGroup(of: Applied.self) { group in
            for (index, mine) in dueBatches {
                let rebuilder = rebuilders[index], connection = connections[index]
                group.addTask {
                    var checkpoint = current[index]
                    do {
                        _ = try await rebuilder.runner.applier.apply(
                            mine, through: through, to: ProjectionSchema.next(rebuilder.projection), checkpoint: &checkpoint, rate: 0, on: connection)
                        return Applied(index: index, checkpoint: checkpoint, failure: nil)
                    } catch let failure as ProjectionEventError {
                        return Applied(index: index, checkpoint: checkpoint, failure: failure.description)
                    }
                }
            }
            return try await group.reduce(into: [Applied]()) { $0.append($1) }
        }
        for outcome in applied {
            if let failure = outcome.failure {
                failed[outcome.index] = "rebuilding \(rebuilders[outcome.index].projection.name) stopped at \(failure)"
            } else {
                checkpoints[outcome.index] = outcome.checkpoint
            }
        }
    }

    /// Runs `body` with `count` connections of `client`, each held until it returns.
    static func withConnections<T: Sendable>(
        _ count: Int, from client: PostgresClient, _ body: @escaping @Sendable ([PostgresConnection]) async throws -> T
    ) async throws -> T {
        guard count > 0 else { return try await body([]) }
        return try await client.withLiveConnection { connection in
            try await withConnections(count - 1, from: client) { others in try await body([connection] + others) }
        }
    }
}
