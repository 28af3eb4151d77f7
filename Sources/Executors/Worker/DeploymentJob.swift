import Foundation
import Ledger
import LedgerDomain
import Logging
import Synchronization

/// Runs one claimed deployment through its pipeline: every step on the host through one runner,
/// output written as batched log lines, cancellation and a lost lease both stopping the running
/// command for real. Every write is fenced by the lease; once a write is refused as stale the
/// job stops at once and writes nothing more.
final class DeploymentJob: Sendable {
    let deploymentID: String
    let fence: FencedExecution
    let service: DeploymentService
    let leases: LeaseStore
    let configuration: WorkerConfiguration
    let pipelines: [String: Pipeline]
    let openRunner: RunnerFactory
    let logger: Logger
    let tracker: DeploymentTracker
    let logs = LogBatcher()
    /// Set when the lease could not be renewed: the job gives up without writing.
    let leaseLost = Flag()
    /// The deployment's one connection, opened at its first step and reused by the others.
    let connection = Mutex<(any CommandRunner)?>(nil)
    /// Writes made so far: each write's idempotency key is the lease and its number.
    let writes = Mutex(0)

    init(
        deploymentID: String, lease: String, service: DeploymentService, leases: LeaseStore, configuration: WorkerConfiguration,
        pipelines: [String: Pipeline], openRunner: @escaping RunnerFactory, logger: Logger
    ) {
        self.deploymentID = deploymentID
        self.fence = FencedExecution(executor: configuration.name, lease: lease)
        self.service = service
        self.leases = leases
        self.configuration = configuration
        self.pipelines = pipelines
        self.openRunner = openRunner
        self.tracker = DeploymentTracker(store: service.store, deploymentID: deploymentID)
        var logger = logger
        logger[metadataKey: "deploy.id"] = "\(deploymentID)"
        self.logger = logger
    }

    /// Claims the deployment under the job's lease (taking it over, failed, when it was running
    /// under an expired one) and runs it; the lease row is released at the end whatever happens.
    func run() async {
        await claimAndExecute()
        if let runner = connection.withLock({ $0 }) { await runner.close() }
        do { try await leases.release(deploymentID, lease: fence.lease) } catch {
            logger.debug("could not release the lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }

    private func claimAndExecute() async {
        var claimed: ExecutionPlan?
        do {
            guard let (state, _) = try await tracker.refresh(), !state.status.isTerminal else { return }
            if state.status == .building || state.status == .deploying {
                try await write { [self] state, progress in try fence.takeOver(state, progress, expiredLease: state.lease ?? "") }
                logger.warning("took over a deployment whose worker stopped renewing its lease, and failed it", metadata: ["deploy.previous_worker": "\(state.executor ?? "?")"])
                return
            }
            guard let project = try await service.project(state.projectID) else { return }
            guard let plan = ExecutionPlan.make(for: state, pipelines: pipelines, repository: project.repository) else {
                try await write { [self] state, _ in try fence.claim(state, pipeline: nil, steps: nil) }
                try await write { [self] state, _ in try fence.fail(state, step: nil, error: "this worker has no pipeline for this operation") }
                return
            }
            try await write { [self] state, _ in
                try fence.claim(state, pipeline: plan.pipeline.name, steps: plan.pipeline.stepIDs, fingerprint: plan.pipeline.fingerprint)
            }
            claimed = plan
            logger.info("claimed", metadata: ["deploy.pipeline": "\(plan.pipeline.name)"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [self] in try await renewLease() }
                group.addTask { [self] in try await execute(plan) }
                // The pipeline's end ends the renewals; a renewal loop never ends by itself.
                try await group.next()
                group.cancelAll()
            }
        } catch let rejection as CommandRejection where rejection.code == .staleLease {
            logger.warning("lease taken over by another worker: stopped, writing nothing more", metadata: ["reason": "\(rejection.message)"])
        } catch let rejection as CommandRejection {
            logger.warning("a write was refused: stopped", metadata: ["reason": "\(rejection.message)"])
        } catch is CancellationError {
            // The step's process group was stopped with the worker (its runner's stop switch):
            // release the host's deploy lock too, or every deployment there would fail on it
            // until it expires. The deployment itself is failed by whoever takes it over.
            let cleaned = if let claimed { await cleanUp(claimed, timeout: .seconds(5)) } else { false }
            logger.info(
                "stopped with the worker; the lease will expire and another worker takes over",
                metadata: ["deploy.cleanup_ran": "\(cleaned)"])
        } catch {
            logger.error("deployment job failed", metadata: ["error": "\(error)"])
        }
    }

    private func renewLease() async throws {
        var renewal = LeaseRenewal(leaseDuration: configuration.leaseDuration, outageTolerance: configuration.outageTolerance, claimedAt: .now)
        while true {
            try await Task.sleep(for: configuration.renewInterval)
            let event: LeaseRenewal.Event
            do {
                event = try await leases.renew(deploymentID, lease: fence.lease, for: configuration.leaseDuration) ? .renewed(at: .now) : .refused
            } catch is CancellationError {
                throw CancellationError()
            } catch let error where DatabaseAvailability.isUnavailable(error) {
                // The database is away: nobody can take the deployment over meanwhile, and the
                // renewal once it is back says whether someone did (the lease then differs).
                logger.warning("could not renew the lease: the database is away", metadata: ["error": "\(PostgresErrorText.safe(error))"])
                event = .databaseAway(at: .now)
            } catch {
                logger.warning("could not renew the lease", metadata: ["error": "\(error)"])
                event = .failed(at: .now)
            }
            if renewal.handle(event) == .leaseLost {
                leaseLost.raise()
                logger.warning("lost the lease")
                return
            }
        }
    }

    /// The whole pipeline, step by step.
    private func execute(_ planned: ExecutionPlan) async throws {
        guard let (claimed, _) = try await refreshed() else { return }
        let plan: ExecutionPlan
        switch try await resolveRevision(planned, state: claimed) {
        case .resolved(let resolved): plan = resolved
        case .cancelled:
            if leaseLost.isRaised { return }
            try await write { [self] state, progress in try fence.confirmCancellation(state, progress, stopped: nil) }
            return
        case .failed(let error):
            if leaseLost.isRaised { return }
            try await flushLogs()
            try await write { [self] state, _ in try fence.fail(state, step: nil, error: error) }
            logger.info("failed", metadata: ["error": "\(error)"])
            return
        }
        for step in plan.pipeline.steps {
            guard let (state, _) = try await refreshed() else { return }
            if state.cancellationRequested {
                try await write { [self] state, progress in try fence.confirmCancellation(state, progress, stopped: nil) }
                return
            }
            if leaseLost.isRaised { return }
            logs.begin(step: step.id)
            try await write { [self] state, progress in try fence.startStep(state, progress, step: step.id) }
            guard try await record(try await runStep(step, plan: plan), of: step, plan: plan) else { return }
        }
        try await write { [self] state, progress in
            if state.trigger == .destroy { return try fence.finishDestroy(state, progress) }
            guard let environment = try await service.environment(state.environmentID) else { throw CommandRejection(.notFound, "environment vanished") }
            return try fence.succeed(state, progress, environment: environment)
        }
        logger.info("succeeded")
    }

    /// Records how `step` ended; true when the pipeline goes on to the next step.
    private func record(_ result: StepResult, of step: PipelineStep, plan: ExecutionPlan) async throws -> Bool {
        switch result {
        case .succeeded(let duration):
            try await write { [self] state, progress in
                try fence.completeStep(state, progress, step: step.id, durationMs: duration.wholeMilliseconds, summary: "done in \(Self.seconds(duration))")
            }
            return true
        case .stopped(let stopped):
            if leaseLost.isRaised { return false }
            let cleaned = await cleanUp(plan)
            let report = StoppedCommand(
                step: stopped.step, processGroup: stopped.processGroup, signal: stopped.signal, exitStatus: stopped.exitStatus,
                cleanupRan: cleaned, elapsedMs: stopped.elapsedMs, escaped: stopped.escaped, escapedProcesses: stopped.escapedProcesses)
            try await write { [self] state, progress in try fence.confirmCancellation(state, progress, stopped: report) }
            logger.info("cancelled", metadata: ["deploy.step": "\(step.id)", "deploy.signal": "\(stopped.signal)"])
            return false
        case .failed(let error, let duration, let abandonedAfter):
            if step.onFailure == .continue {
                try await write { [self] state, progress in
                    try fence.failStepAndContinue(state, progress, step: step.id, durationMs: duration.wholeMilliseconds, error: error)
                }
                return true
            }
            _ = await cleanUp(plan)
            try await write { [self] state, progress in
                try fence.failStep(state, progress, step: step.id, durationMs: duration.wholeMilliseconds, error: error, abandonedAfterAttempts: abandonedAfter)
            }
            logger.info("failed", metadata: ["deploy.step": "\(step.id)", "error": "\(error)"])
            if step.onFailure == .rollback { try await rollBackAfterFailure() }
            return false
        }
    }

    /// Starts a rollback to the environment's last successful release (trigger `rollback`,
    /// actor `system`, caused by this deployment), unless the environment turned it off with the
    /// setting `rollback_on_failure=false` or has no earlier release.
    private func rollBackAfterFailure() async throws {
        guard let (state, _) = try await tracker.refresh(), state.configuration.settings?["rollback_on_failure"] != "false" else { return }
        guard let environment = try await service.environment(state.environmentID), let release = environment.currentRelease,
            release.deploymentID != deploymentID
        else {
            logger.info("no earlier release to roll back to")
            return
        }
        let context = CommandContext(actor: "system", source: "executor", causationID: UUID(uuidString: deploymentID))
        let outcome = try await service.rollback(to: release.deploymentID, restoring: true, context: context)
        logger.info("rolling back after the failure", metadata: [
            "deploy.rollback_to": "\(release.deploymentID)", "deploy.rollback": "\(outcome.deploymentID ?? "?")",
        ])
    }

    /// One fenced write, decided on the tracked state — refreshed first unless the caller has
    /// just done so (the watcher, between log batches), and always again after a conflict.
    /// While the database is away the write waits and is sent again under the same key (see
    /// ``whileDatabaseAway(_:_:)``).
    @discardableResult
    func write(
        refreshing: Bool = true, _ decide: @escaping @Sendable (DeploymentState, DeploymentProgress) async throws -> Decision
    ) async throws -> DeploymentService.Outcome {
        let key = "\(fence.lease):\(writes.withLock { $0 += 1; return $0 })"
        return try await whileDatabaseAway("writing") { resend in
            let attempts = Shared(0)
            return try await service.execute(writeContext(resend: resend, key: key)) { [self] in
                let first = attempts.withLock { $0 += 1; return $0 == 1 } && !resend
                let current = first && !refreshing ? await tracker.current : try await tracker.refresh()
                guard let (state, progress) = current else { throw CommandRejection(.notFound, "no such deployment") }
                return .init(try await decide(state, progress), organisation: state.organisationID, project: state.projectID)
            }
        }
    }
}
