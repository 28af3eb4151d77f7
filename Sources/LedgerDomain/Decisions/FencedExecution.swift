import Ledger

/// The decisions of a worker that holds a deployment under a lease. Each one first checks that
/// the deployment is still held under this lease — a worker whose lease was taken over can write
/// nothing, not even a log line — and appends at the exact stream version it decided on, so a
/// takeover that lands between the check and the append is caught as a conflict and decided
/// again (then refused as stale). The stream version is the fencing token.
public struct FencedExecution: Sendable {
    public let executor: String
    public let lease: String

    public init(executor: String, lease: String) {
        self.executor = executor
        self.lease = lease
    }

    /// Claims a pending or queued deployment: queued (if need be) and started under this lease
    /// in one write, naming the pipeline whose steps it will run.
    public func claim(
        _ deployment: DeploymentState, pipeline: String?, steps: [DeploymentStep]?, fingerprint: String? = nil
    ) throws -> Decision {
        var events: [DomainEvent] = []
        if deployment.status == .pending {
            try ExecutionDecisions.transition(deployment, to: .queued)
            events.append(.deploymentQueued(DeploymentQueued(deploymentID: deployment.deploymentID)))
        } else {
            try ExecutionDecisions.transition(deployment, to: .building)
        }
        events.append(.deploymentStarted(DeploymentStarted(
            deploymentID: deployment.deploymentID, executor: executor, lease: lease, pipeline: pipeline, steps: steps,
            pipelineFingerprint: fingerprint)))
        return write(deployment, events)
    }

    /// Takes over a running deployment whose worker stopped renewing `expiredLease`, and fails it
    /// with the reason: a step that was running may have partly run on the host, and running it
    /// again could do its work twice, so the operator decides (retry) rather than the worker.
    public func takeOver(_ deployment: DeploymentState, _ progress: DeploymentProgress, expiredLease: String) throws -> Decision {
        guard deployment.lease == expiredLease else {
            throw CommandRejection(.staleLease, "deployment \(deployment.deploymentID) is no longer held under lease \(expiredLease)")
        }
        try ExecutionDecisions.transition(deployment, to: .failed)
        let running = progress.steps.first { $0.status == .running }?.step
        let error = "worker \(deployment.executor ?? "?") stopped renewing its lease"
            + (running.map { " during step \($0), which may have partly run" } ?? " between steps")
            + "; taken over by \(executor) and failed so nothing runs twice — retry to run it again"
        var events: [DomainEvent] = [.deploymentTakenOver(DeploymentTakenOver(
            deploymentID: deployment.deploymentID, executor: executor, lease: lease, previousExecutor: deployment.executor,
            previousLease: deployment.lease, interruptedStep: running))]
        if let running {
            events.append(.stepFailed(StepFailed(deploymentID: deployment.deploymentID, step: running, durationMs: 0, error: "interrupted: lease lost")))
        }
        events.append(.deploymentFailed(DeploymentFailed(deploymentID: deployment.deploymentID, step: running, error: error)))
        return Decision([
            .init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), events),
            ExecutionDecisions.ending(deployment, as: .failed),
        ])
    }

    public func resolveRevision(_ deployment: DeploymentState, _ progress: DeploymentProgress, commit: String, ref: String) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.resolveRevision(deployment, progress, commit: commit, ref: ref)
    }

    public func startStep(_ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.startStep(deployment, progress, step: step)
    }

    public func completeStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, durationMs: Int, summary: String?
    ) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.completeStep(deployment, progress, step: step, durationMs: durationMs, summary: summary)
    }

    /// Fails the running step and the deployment with it (abandoned when transient errors
    /// outlasted every retry).
    public func failStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, durationMs: Int, error: String,
        abandonedAfterAttempts: Int? = nil
    ) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.failStep(
            deployment, progress, step: step, durationMs: durationMs, error: error, abandonedAfterAttempts: abandonedAfterAttempts)
    }

    /// Records the running step as failed but lets the pipeline go on (`on_failure: continue`).
    public func failStepAndContinue(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, durationMs: Int, error: String
    ) throws -> Decision {
        try requireLease(deployment)
        guard progress.steps.first(where: { $0.step == step })?.status == .running else {
            throw CommandRejection(.illegalTransition, "step \(step) is not running")
        }
        return write(deployment, [.stepFailed(StepFailed(deploymentID: deployment.deploymentID, step: step, durationMs: max(0, durationMs), error: error))])
    }

    /// Log lines, fenced like every other write (at the exact version, unlike an unleased append).
    public func appendLogs(_ deployment: DeploymentState, lines: [LogLine]) throws -> Decision {
        try requireLease(deployment)
        let decision = try ExecutionDecisions.appendLogs(deployment, lines: lines)
        guard !decision.writes.isEmpty else { return decision }
        return write(deployment, decision.writes.flatMap(\.events))
    }

    public func succeed(_ deployment: DeploymentState, _ progress: DeploymentProgress, environment: EnvironmentState) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.succeed(deployment, progress, environment: environment)
    }

    /// Ends a destroy whose teardown ran on the server: the record becomes `destroyed`.
    public func finishDestroy(_ deployment: DeploymentState, _ progress: DeploymentProgress) throws -> Decision {
        try requireLease(deployment)
        guard deployment.trigger == .destroy else { throw CommandRejection(.invalid, "deployment \(deployment.deploymentID) is not a destroy") }
        if let open = progress.steps.first(where: { $0.status == .pending || $0.status == .running }) {
            throw CommandRejection(.illegalTransition, "step \(open.step) is \(open.status.rawValue); every step must finish first")
        }
        try ExecutionDecisions.transition(deployment, to: .destroyed)
        return write(deployment, [.deploymentDestroyed(DeploymentDestroyed(deploymentID: deployment.deploymentID, deleteData: deployment.deleteData ?? false))])
    }

    public func fail(_ deployment: DeploymentState, step: DeploymentStep?, error: String) throws -> Decision {
        try requireLease(deployment)
        return try ExecutionDecisions.fail(deployment, step: step, error: error)
    }

    /// Confirms a requested cancellation with what was stopped on the host; a step that was
    /// running is recorded as failed ("cancelled") so the progress shows where it stopped.
    public func confirmCancellation(_ deployment: DeploymentState, _ progress: DeploymentProgress, stopped: StoppedCommand?) throws -> Decision {
        try requireLease(deployment)
        guard deployment.cancellationRequested else {
            throw CommandRejection(.wrongStatus, "nobody asked to cancel deployment \(deployment.deploymentID)")
        }
        try ExecutionDecisions.transition(deployment, to: .cancelled)
        var events: [DomainEvent] = []
        if let running = progress.steps.first(where: { $0.status == .running }) {
            events.append(.stepFailed(StepFailed(deploymentID: deployment.deploymentID, step: running.step, durationMs: stopped?.elapsedMs ?? 0, error: "cancelled")))
        }
        events.append(.deploymentCancelled(DeploymentCancelled(deploymentID: deployment.deploymentID, reason: "stopped by \(executor)", stopped: stopped)))
        return Decision([
            .init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), events),
            ExecutionDecisions.ending(deployment, as: .cancelled),
        ])
    }

    /// Refuses any write once the deployment is held under another lease.
    public func requireLease(_ deployment: DeploymentState) throws {
        guard deployment.lease == lease else {
            throw CommandRejection(
                .staleLease,
                "deployment \(deployment.deploymentID) is held under lease \(deployment.lease ?? "none") by \(deployment.executor ?? "nobody"); "
                    + "this worker's lease \(lease) is stale")
        }
    }

    private func write(_ deployment: DeploymentState, _ events: [DomainEvent]) -> Decision {
        Decision([.init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), events)])
    }
}
