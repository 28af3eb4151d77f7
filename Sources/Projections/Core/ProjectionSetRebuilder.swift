import Ledger
import Logging
import PostgresNIO

/// Rebuilds several projections in one pass over the log (`ledger projections rebuild all`):
/// each window of positions is read and decoded once (several ahead) and applied to every
/// projection's fresh copy at the same time, each on its own connection and in its own
/// transaction with its checkpoint; then each
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

    /// Applies the log up to the head as it is now to every `_next` copy: windows of positions,
    /// each read and decoded once (several ahead at a time, each on its own connection, while
    /// the one before is applied) and applied to every projection that reads its event types.
    /// Returns the projections stopped by a bad event, with the reason.
    private func fill(
        _ rebuilders: [ProjectionRebuilder], scratches: [ProjectionScratch], on connections: [PostgresConnection],
        report: @escaping (Int64, Int64) -> Void
    ) async throws -> [Int: String] {
        let store = runners[0].store
        let filter = EventFilter(eventTypes: Set(runners.flatMap(\.projection.eventTypes)))
        let batchSize = runners.map(\.configuration.effectiveRebuildBatchSize).max() ?? 20_000
        let head = try await store.headPosition()
        // A pruned log starts later: its empty prefix is not read window by window.
        let start = max(0, (try await store.firstPosition() ?? head + 1) - 1)
        let windows = Self.windows(from: start, through: head, size: batchSize)
        let typesByProjection = rebuilders.map(\.projection.eventTypes)
        // Each window's events, decoded once and shared by index, cut into each projection's share.
        let read: @Sendable (Window) async throws -> [ProjectionBatch] = { window in
            let events = try await store.readWindow(after: window.after, through: window.through, filter: filter)
            let page = ProjectionBatch(decoding: events)
            // A share small enough to be gathered over several windows moves to a page of its
            // own, so that this page can go once it is applied.
            return typesByProjection.map { types in
                let share = page.filtered(to: types)
                return share.count < batchSize / 4 ? share.compacted() : share
            }
        }
        var checkpoints = Array(repeating: ProjectionSchema.Checkpoint(position: 0, events: 0), count: rebuilders.count)
        // A projection that reads few of a page's events gathers them over several pages and
        // applies them together (each batch loads and stores every row it touches once); one
        // that reads many applies each page, so that the pages' work stays spread out.
        var gathered = Array(repeating: [ProjectionBatch](), count: rebuilders.count)
        var gatheredEvents = Array(repeating: 0, count: rebuilders.count)
        var failed: [Int: String] = [:]
        // Read ahead: the next windows are read and decoded while this one is applied.
        var ahead: [Task<[ProjectionBatch], any Error>] = []
        defer { for reading in ahead { reading.cancel() } }
        for (number, window) in windows.enumerated() {
            while ahead.count < Self.windowsAhead, number + ahead.count < windows.count {
                let next = windows[number + ahead.count]
                ahead.append(Task { try await read(next) })
            }
            let shares = try await ahead.removeFirst().value
            let last = number == windows.count - 1
            let position = window.through
            var dueBatches: [(index: Int, batches: [ProjectionBatch])] = []
            for index in rebuilders.indices where failed[index] == nil {
                let mine = shares[index]
                let due = last || gatheredEvents[index] + mine.count >= batchSize || mine.count >= batchSize / 4
                if !mine.isEmpty {
                    gathered[index].append(mine)
                    gatheredEvents[index] += mine.count
                }
                if due {
                    dueBatches.append((index, gathered[index]))
                    gathered[index] = []
                    gatheredEvents[index] = 0
                }
            }
            try await applyConcurrently(
                dueBatches, scratches: scratches, rebuilders: rebuilders, connections: connections, through: position,
                checkpoints: &checkpoints, failed: &failed)
            report(position, head)
        }
        return failed
    }

    /// How many windows are read (and decoded) at once: the next one to apply and two after it,
    /// which are read while that one is applied.
    static var windowsAhead: Int { 3 }

    /// The positions after `after` up to and including `through`.
    struct Window: Sendable, Equatable {
        var after: Int64
        var through: Int64
    }

    /// `(start, head]` cut into consecutive windows of `size` positions (the last one shorter).
    static func windows(from start: Int64, through head: Int64, size: Int) -> [Window] {
        stride(from: start, to: head, by: size).map { Window(after: $0, through: min($0 + Int64(size), head)) }
    }

    /// Applies each due batch to its projection's `_next` copy, all at once (one connection each);
    /// moves their checkpoints, or records why one stopped.
    private func applyConcurrently(
        _ dueBatches: [(index: Int, batches: [ProjectionBatch])], scratches: [ProjectionScratch], rebuilders: [ProjectionRebuilder],
        connections: [PostgresConnection], through: Int64,
        checkpoints: inout [ProjectionSchema.Checkpoint], failed: inout [Int: String]
    ) async throws {
        let current = checkpoints
        let applied = try await withThrowingTaskGroup(of: Applied.self) { group in
            for (index, gathered) in dueBatches {
                let rebuilder = rebuilders[index], connection = connections[index], scratch = scratches[index]
                group.addTask {
                    var mine = ProjectionBatch(joining: gathered)
                    mine.scratch = scratch
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
