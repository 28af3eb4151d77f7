import Ledger
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps several projections up to date on **one** connection: for each projection whose
/// runner lock it can take it is the active runner, for the others it stands by and tries
/// again every ``ProjectionRunnerConfiguration/standbyInterval``. It steps every active
/// projection in turn (one batch each, so a long catch-up never starves the others) and waits
/// on the process's head listener when all are idle.
///
/// One connection for any number of projections keeps an idle process small; the projection
/// rules are those of ``ProjectionRunner`` (a bad event stops only its own projection, a
/// rebuild's hand-over request is honoured, every batch commits with its checkpoint).
public struct ProjectionGroupRunner: Service {
    let runners: [ProjectionRunner]
    let client: PostgresClient
    let store: EventStore
    let configuration: ProjectionRunnerConfiguration
    let logger: Logger

    public init(runners: [ProjectionRunner], logger: Logger) {
        precondition(!runners.isEmpty, "a projection group needs at least one projection")
        self.runners = runners
        self.client = runners[0].client
        self.store = runners[0].store
        self.configuration = runners[0].configuration
        self.logger = logger
    }

    /// Runs until cancelled or the service group shuts down; a lost connection is retried.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withLiveConnection { connection in try await self.serve(on: connection) }
                } catch {
                    if Task.isCancelled || error is CancellationError { return }
                    logger.warning("projections lost the database; retrying", metadata: ["error": "\(PostgresErrorText.safe(error))"])
                    do { try await Task.sleep(for: configuration.reconnectDelay) } catch { return }
                }
            }
        }
    }

    /// One projection this group is the active runner of.
    struct Active {
        let runner: ProjectionRunner
        var checkpoint: ProjectionSchema.Checkpoint
        var meter = RateMeter()
        var lastIdleSave = ContinuousClock.now
    }

    /// Steps the projections on `connection` until cancelled; always releases the locks it took.
    func serve(on connection: PostgresConnection) async throws {
        var active: [Int: Active] = [:]
        do {
            try await loop(&active, on: connection)
        } catch {
            for entry in active.values { await release(entry.runner, on: connection) }
            throw error
        }
        for entry in active.values { await release(entry.runner, on: connection) }
    }

    /// Gives up being the active runner of `runner`'s projection.
    private func release(_ runner: ProjectionRunner, on connection: PostgresConnection) async {
        ProjectionCheckpoints.shared.deactivate(runner.projection.name, of: store)
        await runner.registry.release(ProjectionRegistry.runnerLockClass, on: connection)
    }

    private func loop(_ active: inout [Int: Active], on connection: PostgresConnection) async throws {
        var roles = runners.map { _ in
            ProjectionRole(standbyInterval: configuration.standbyInterval, failureRetryInterval: configuration.failureRetryInterval, startingAt: .now)
        }
        while !Task.isCancelled {
            try await takeLocks(&roles, &active, on: connection)
            let (busy, idleAt, unsaved) = try await stepActive(&roles, &active, on: connection)
            if busy { continue }
            guard try await waitForWork(roles, idleAt: idleAt, soon: unsaved) else { return }
        }
    }

    /// Tries the runner lock of every waiting projection whose turn has come.
    private func takeLocks(_ roles: inout [ProjectionRole], _ active: inout [Int: Active], on connection: PostgresConnection) async throws {
        for (index, runner) in runners.enumerated() where roles[index].handle(.turn(at: .now)) == .tryLock {
            guard try await runner.registry.tryLock(ProjectionRegistry.runnerLockClass, on: connection) else {
                if roles[index].handle(.lockRefused(at: .now)) == .announceStandingBy { runner.logger.info("another runner is active; standing by") }
                continue
            }
            let failed: Bool
            do {
                try await runner.prepareLive(on: connection)
                active[index] = Active(runner: runner, checkpoint: try await ProjectionSchema.live(runner.projection).checkpoint(on: connection, logger: logger))
                failed = try await runner.registry.row(on: connection)?.failed ?? false
            } catch {
                await runner.registry.release(ProjectionRegistry.runnerLockClass, on: connection)
                throw error
            }
            if roles[index].handle(.lockTaken(failed: failed)) == .becomeActive, let entry = active[index] {
                ProjectionCheckpoints.shared.activate(runner.projection.name, of: store, at: entry.checkpoint.position)
                runner.logger.info("active")
            }
        }
    }

    /// One batch of every active projection, in turn. Returns whether any applied events, the
    /// lowest position the idle ones reflect (to wait for an append past it), and whether an idle
    /// one's checkpoint row is still short of that position (saved at most once a second).
    private func stepActive(
        _ roles: inout [ProjectionRole], _ active: inout [Int: Active], on connection: PostgresConnection
    ) async throws -> (busy: Bool, idleAt: Int64?, unsaved: Bool) {
        var idleAt: Int64?
        var busy = false
        var unsaved = false
        for index in active.keys.sorted() {
            guard var entry = active[index] else { continue }
            let runner = entry.runner
            if try await runner.registry.handoverRequested(on: connection), roles[index].handle(.handoverRequested(at: .now)) == .handOver {
                runner.logger.info("handing over to a rebuild")
                await release(runner, on: connection)
                active[index] = nil
                continue
            }
            let step: ProjectionApplier.Step
            do {
                let saveIdle = ContinuousClock.now - entry.lastIdleSave >= configuration.idleCheckpointInterval
                step = try await runner.applier.step(
                    ProjectionSchema.live(runner.projection), checkpoint: &entry.checkpoint, batchSize: configuration.batchSize, rate: entry.meter.rate,
                    saveIdleCheckpoint: saveIdle, on: connection)
            } catch let failure as ProjectionEventError {
                _ = roles[index].handle(.stoppedByBadEvent(at: .now))
                try await runner.registry.recordFailure(failure, on: connection)
                runner.logger.error(
                    "stopped by a bad event; will retry",
                    metadata: ["ledger.position": "\(failure.position)", "event.type": "\(failure.eventType)", "error": "\(failure.reason)"])
                await release(runner, on: connection)
                active[index] = nil
                continue
            }
            switch step {
            case .applied(let events, _):
                busy = true
                entry.meter.record(events)
                if roles[index].handle(.applied) == .clearFailure {
                    try await runner.registry.clearFailure(on: connection)
                    runner.logger.info("resumed past the event that stopped it")
                }
            case .idle(let position):
                if entry.checkpoint.position == position { entry.lastIdleSave = .now } else { unsaved = true }
                idleAt = min(idleAt ?? position, position)
                // Nothing of this projection's up to there: its state reflects the log that far,
                // though the checkpoint row is saved only now and then.
                ProjectionCheckpoints.shared.published(runner.projection.name, of: store, at: position)
            }
            active[index] = entry
            ProjectionCheckpoints.shared.published(runner.projection.name, of: store, at: entry.checkpoint.position)
        }
        return (busy, idleAt, unsaved)
    }

    /// Idle: waits for a commit past `idleAt`, but no longer than the next try of a waiting
    /// projection — nor, while a checkpoint row is `soon` to be saved, than the idle save interval:
    /// readers in other processes (`ledger serve` beside `ledger project`) wait for that row. False
    /// once cancelled.
    private func waitForWork(_ roles: [ProjectionRole], idleAt: Int64?, soon: Bool) async throws -> Bool {
        var wait = soon ? min(configuration.pollInterval, configuration.idleCheckpointInterval) : configuration.pollInterval
        for next in roles.compactMap(\.nextTry) { wait = min(wait, max(.milliseconds(10), next - .now)) }
        do {
            if let idleAt {
                try await store.waitForAppend(after: idleAt, timeout: wait)
            } else {
                try await Task.sleep(for: wait)
            }
            return true
        } catch {
            if Task.isCancelled { return false }
            throw error
        }
    }
}
