import Foundation
import Ledger
import Logging
import PostgresNIO

/// Rebuilds a projection from position 0 without downtime (invariant 7): builds a fresh copy
/// beside the live one (reading only the projection's event types), asks the active runner to
/// hand over, catches the copy up to the head and swaps it in with two schema renames in one
/// transaction. Readers keep reading the old copy until the commit and the new one after it.
public struct ProjectionRebuilder: Sendable {
    let runner: ProjectionRunner

    public init(runner: ProjectionRunner) {
        self.runner = runner
    }

    /// How far a rebuild has got.
    public struct Progress: Sendable {
        public var position: Int64
        public var head: Int64
        public var events: Int64
        public var elapsed: Duration
    }

    /// What a finished rebuild did.
    public struct Summary: Sendable {
        public var events: Int64
        public var position: Int64
        /// Building the copy up to the head as it was at the start.
        public var buildTime: Duration
        /// Waiting for the runner, the final catch-up and the swap.
        public var swapTime: Duration
    }

    var projection: any Projection { runner.projection }
    var logger: Logger { runner.logger }

    /// Rebuilds and swaps in; the live runner (if any, in any process) hands over for the swap.
    public func rebuild(
        handoverTimeout: Duration = .seconds(60), progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Summary {
        try await runner.client.withLiveConnection { connection in
            try await begin(on: connection)
            do {
                let clock = ContinuousClock()
                let started = clock.now
                try await build(on: connection, progress: progress)
                return try await finish(buildTime: clock.now - started, handoverTimeout: handoverTimeout, on: connection)
            } catch {
                await abandon(on: connection)
                throw error
            }
        }
    }

    /// Takes this projection's rebuild lock on `connection`.
    func begin(on connection: PostgresConnection) async throws {
        guard try await runner.registry.tryLock(ProjectionRegistry.rebuildLockClass, on: connection) else {
            throw LedgerError(.invalidArgument, "a rebuild of \(projection.name) is already running")
        }
    }

    /// A fresh, empty `_next` copy (replacing any left over), its secondary indexes left for
    /// ``createDeferredIndexes(on:)`` once it is filled.
    func createNext(on connection: PostgresConnection) async throws {
        try await ProjectionSchema.next(projection).create(for: projection, deferringIndexes: true, on: connection, logger: logger)
    }

    /// With every batch applied to `_next`: writes what the projection kept in `scratch`, then
    /// builds the secondary indexes left out while it filled.
    func finishBuild(_ scratch: ProjectionScratch, on connection: PostgresConnection) async throws {
        let next = ProjectionSchema.next(projection)
        let clock = ContinuousClock()
        let started = clock.now
        try await projection.finishBuild(scratch, schema: next.name, connection: connection, logger: logger)
        let written = clock.now
        try await next.createDeferredIndexes(for: projection, on: connection, logger: logger)
        logger.debug(
            "finished building the copy",
            metadata: ["ledger.kept_rows_seconds": "\((written - started).seconds)", "ledger.indexes_seconds": "\((clock.now - written).seconds)"])
    }

    /// With the `_next` copy built: asks the active runner to hand over, catches the copy up to
    /// the head and swaps it in, then lets go of the locks.
    func finish(buildTime: Duration, handoverTimeout: Duration, on connection: PostgresConnection) async throws -> Summary {
        let registry = runner.registry
        let clock = ContinuousClock()
        let built = clock.now
        if try await registry.row(on: connection) != nil {
            try await registry.requestHandover(true, on: connection)
        }
        let deadline = clock.now + handoverTimeout
        while !(try await registry.tryLock(ProjectionRegistry.runnerLockClass, on: connection)) {
            guard clock.now < deadline else {
                throw LedgerError(.database, "the active runner of \(projection.name) did not hand over within \(handoverTimeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let final = try await swap(on: connection)
        try await registry.unlock(ProjectionRegistry.runnerLockClass, on: connection)
        try await registry.unlock(ProjectionRegistry.rebuildLockClass, on: connection)
        return Summary(events: final.events, position: final.position, buildTime: buildTime, swapTime: clock.now - built)
    }

    /// After a failure: drops the half-built copy, withdraws the handover request, lets go.
    func abandon(on connection: PostgresConnection) async {
        let registry = runner.registry
        _ = try? await registry.requestHandover(false, on: connection)
        _ = try? await ProjectionSchema.next(projection).drop(on: connection, logger: logger)
        await registry.release(ProjectionRegistry.runnerLockClass, on: connection)
        await registry.release(ProjectionRegistry.rebuildLockClass, on: connection)
    }

    /// Builds a fresh `_next` copy from position 0 up to the head as it is now.
    @discardableResult
    func build(on connection: PostgresConnection, progress: @Sendable (Progress) -> Void) async throws -> ProjectionSchema.Checkpoint {
        let next = ProjectionSchema.next(projection)
        try await createNext(on: connection)
        let head = try await runner.store.headPosition()
        var checkpoint = ProjectionSchema.Checkpoint(position: 0, events: 0)
        let clock = ContinuousClock()
        let started = clock.now
        var lastReport = started
        let scratch = ProjectionScratch()
        try await catchUp(next, checkpoint: &checkpoint, through: head, scratch: scratch, on: connection) { checkpoint in
            if clock.now - lastReport >= .seconds(1) {
                lastReport = clock.now
                progress(Progress(position: checkpoint.position, head: head, events: checkpoint.events, elapsed: clock.now - started))
            }
        }
        progress(Progress(position: checkpoint.position, head: head, events: checkpoint.events, elapsed: clock.now - started))
        try await finishBuild(scratch, on: connection)
        return checkpoint
    }

    /// Applies pages to the copy being built (in large batches); a bad event fails the rebuild.
    private func catchUp(
        _ schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint, through head: Int64?, scratch: ProjectionScratch? = nil,
        on connection: PostgresConnection, afterPage: (ProjectionSchema.Checkpoint) -> Void = { _ in }
    ) async throws {
        do {
            _ = try await runner.applier.catchUp(
                schema, checkpoint: &checkpoint, through: head, batchSize: runner.configuration.effectiveRebuildBatchSize,
                scratch: scratch, on: connection, afterPage: afterPage)
        } catch let failure as ProjectionEventError {
            throw LedgerError(.invalidEvent, "rebuilding \(projection.name) stopped at \(failure.description)")
        }
    }

    /// With the runner lock held: catches `_next` up to the head and makes it the live copy.
    @discardableResult
    func swap(on connection: PostgresConnection) async throws -> ProjectionSchema.Checkpoint {
        let live = ProjectionSchema.live(projection), next = ProjectionSchema.next(projection)
        let retired = ProjectionSchema.retired(projection)
        var checkpoint = try await next.checkpoint(on: connection, logger: logger)
        try await catchUp(next, checkpoint: &checkpoint, through: nil, on: connection)
        let liveExists = try await live.exists(on: connection, logger: logger)
        try await connection.inTransaction(logger: logger) { connection in
            try await retired.drop(on: connection, logger: logger)
            if liveExists {
                try await connection.query("ALTER SCHEMA \(unescaped: live.name) RENAME TO \(unescaped: retired.name)", logger: logger)
            }
            try await connection.query("ALTER SCHEMA \(unescaped: next.name) RENAME TO \(unescaped: live.name)", logger: logger)
            try await runner.registry.register(version: projection.version, on: connection)
        }
        // Readers still inside a query on the old copy finish first; new ones already see the new copy.
        try await retired.drop(on: connection, logger: logger)
        logger.notice("rebuilt and swapped in", metadata: ["ledger.position": "\(checkpoint.position)"])
        return checkpoint
    }
}
