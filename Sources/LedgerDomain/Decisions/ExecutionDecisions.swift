import Ledger

/// Decisions an executor makes while running a deployment — queue, start, steps, log lines,
/// outcome — checked against the transition table and the step states, so a misbehaving or
/// stale executor cannot write an impossible history.
public enum ExecutionDecisions {
    public static func queue(_ deployment: DeploymentState) throws -> Decision {
        try transition(deployment, to: .queued)
        return write(deployment, [.deploymentQueued(DeploymentQueued(deploymentID: deployment.deploymentID))])
    }

    public static func start(_ deployment: DeploymentState, executor: String, lease: String) throws -> Decision {
        try transition(deployment, to: .building)
        return write(deployment, [.deploymentStarted(DeploymentStarted(deploymentID: deployment.deploymentID, executor: executor, lease: lease))])
    }

    public static func startStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep
    ) throws -> Decision {
        try requireRunning(deployment)
        let current = try stepStatus(progress, step)
        guard current == .pending else { throw CommandRejection(.illegalTransition, "step \(step) is \(current.rawValue), not pending") }
        if let running = progress.steps.first(where: { $0.status == .running }) {
            throw CommandRejection(.illegalTransition, "step \(running.step) is still running")
        }
        if step.isDeployPhase && deployment.status == .building { try transition(deployment, to: .deploying) }
        return write(deployment, [.stepStarted(StepStarted(deploymentID: deployment.deploymentID, step: step))])
    }

    public static func completeStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, durationMs: Int, summary: String?
    ) throws -> Decision {
        try requireRunningStep(deployment, progress, step)
        return write(deployment, [.stepCompleted(StepCompleted(deploymentID: deployment.deploymentID, step: step, durationMs: max(0, durationMs), summary: summary))])
    }

    public static func skipStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, reason: String
    ) throws -> Decision {
        try requireRunning(deployment)
        let current = try stepStatus(progress, step)
        guard current == .pending else { throw CommandRejection(.illegalTransition, "step \(step) is \(current.rawValue), not pending") }
        return write(deployment, [.stepSkipped(StepSkipped(deploymentID: deployment.deploymentID, step: step, reason: reason))])
    }

    /// Fails the running step and with it the deployment.
    public static func failStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, step: DeploymentStep, durationMs: Int, error: String,
        abandonedAfterAttempts: Int? = nil
    ) throws -> Decision {
        try requireRunningStep(deployment, progress, step)
        try transition(deployment, to: .failed)
        return Decision([
            .init(stream(deployment), expectedVersion: .exact(deployment.version), [
                .stepFailed(StepFailed(deploymentID: deployment.deploymentID, step: step, durationMs: max(0, durationMs), error: error)),
                .deploymentFailed(DeploymentFailed(
                    deploymentID: deployment.deploymentID, step: step, error: error, abandonedAfterAttempts: abandonedAfterAttempts)),
            ]),
            ending(deployment, as: .failed),
        ])
    }

    public static func appendLogs(_ deployment: DeploymentState, lines: [LogLine]) throws -> Decision {
        guard !lines.isEmpty else { return .nothing }
        guard !deployment.status.isTerminal else {
            throw CommandRejection(.wrongStatus, "deployment \(deployment.deploymentID) is \(deployment.status.rawValue); it takes no more log lines")
        }
        // Log lines only add: any version of the stream will do, so they never conflict with steps.
        return Decision([.init(stream(deployment), expectedVersion: .any, [
            .logLinesAppended(LogLinesAppended(deploymentID: deployment.deploymentID, lines: lines))
        ])])
    }

    /// Finishes successfully. A rollback that succeeds marks the release it replaced `rolled_back`.
    public static func succeed(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, environment: EnvironmentState
    ) throws -> Decision {
        try transition(deployment, to: .success)
        if let open = progress.steps.first(where: { $0.status == .pending || $0.status == .running }) {
            throw CommandRejection(.illegalTransition, "step \(open.step) is \(open.status.rawValue); every step must finish first")
        }
        var writes = [
            Decision.Write(stream(deployment), expectedVersion: .exact(deployment.version), [
                .deploymentSucceeded(DeploymentSucceeded(deploymentID: deployment.deploymentID))
            ]),
            ending(deployment, as: .success),
        ]
        if let target = deployment.rollbackTo, let replaced = environment.currentRelease, replaced.deploymentID != deployment.deploymentID,
            replaced.deploymentID != target
        {
            writes.append(.init(DomainIDs.deploymentStream(replaced.deploymentID), expectedVersion: .any, [
                .deploymentRolledBack(DeploymentRolledBack(deploymentID: replaced.deploymentID, replacedBy: deployment.deploymentID))
            ]))
        }
        return Decision(writes)
    }

    public static func fail(_ deployment: DeploymentState, step: DeploymentStep?, error: String) throws -> Decision {
        try transition(deployment, to: .failed)
        return Decision([
            .init(stream(deployment), expectedVersion: .exact(deployment.version), [
                .deploymentFailed(DeploymentFailed(deploymentID: deployment.deploymentID, step: step, error: error))
            ]),
            ending(deployment, as: .failed),
        ])
    }

    /// Records the commit a running deployment's branch or tag resolved to, before any step
    /// ran: once only, and only for a deployment that named no commit.
    public static func resolveRevision(_ deployment: DeploymentState, _ progress: DeploymentProgress, commit: String, ref: String) throws -> Decision {
        try requireRunning(deployment)
        guard deployment.git.commit == nil else {
            throw CommandRejection(.illegalTransition, "deployment \(deployment.deploymentID) already names commit \(deployment.git.commit!)")
        }
        guard progress.steps.allSatisfy({ $0.status == .pending }) else {
            throw CommandRejection(.illegalTransition, "a revision is resolved before the first step, not after")
        }
        guard [40, 64].contains(commit.count), commit.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
            throw CommandRejection(.invalid, "'\(commit)' is not a full commit id")
        }
        guard GitRefRules.problem(name: ref, what: "ref") == nil, ref.hasPrefix("refs/") else {
            throw CommandRejection(.invalid, "'\(ref)' is not a full ref name")
        }
        return write(deployment, [.revisionResolved(RevisionResolved(deploymentID: deployment.deploymentID, commit: commit, ref: ref))])
    }

    public static func timeOut(_ deployment: DeploymentState, step: DeploymentStep?) throws -> Decision {
        try transition(deployment, to: .timedOut)
        return Decision([
            .init(stream(deployment), expectedVersion: .exact(deployment.version), [
                .deploymentTimedOut(DeploymentTimedOut(deploymentID: deployment.deploymentID, step: step))
            ]),
            ending(deployment, as: .timedOut),
        ])
    }

    /// The executor stopped a deployment whose cancellation was requested.
    public static func confirmCancellation(_ deployment: DeploymentState) throws -> Decision {
        guard deployment.cancellationRequested else {
            throw CommandRejection(.wrongStatus, "nobody asked to cancel deployment \(deployment.deploymentID)")
        }
        try transition(deployment, to: .cancelled)
        return Decision([
            .init(stream(deployment), expectedVersion: .exact(deployment.version), [
                .deploymentCancelled(DeploymentCancelled(deploymentID: deployment.deploymentID, reason: "stopped by the executor"))
            ]),
            ending(deployment, as: .cancelled),
        ])
    }

    /// Tells the environment its deployment in flight is over. Any version of the environment
    /// stream will do: only a deploy decision must see the exact version.
    static func ending(_ deployment: DeploymentState, as outcome: DeploymentStatus) -> Decision.Write {
        .init(DomainIDs.environmentStream(deployment.environmentID), expectedVersion: .any, [
            .environmentDeploymentEnded(EnvironmentDeploymentEnded(
                environmentID: deployment.environmentID, deploymentID: deployment.deploymentID, number: deployment.number,
                status: outcome, git: deployment.git, configuration: deployment.configuration, rollbackTo: deployment.rollbackTo))
        ])
    }

    static func transition(_ deployment: DeploymentState, to next: DeploymentStatus) throws {
        guard deployment.status.canTransition(to: next) else {
            throw CommandRejection(
                .illegalTransition, "deployment \(deployment.deploymentID) cannot go from \(deployment.status.rawValue) to \(next.rawValue)")
        }
    }

    private static func requireRunning(_ deployment: DeploymentState) throws {
        guard deployment.status == .building || deployment.status == .deploying else {
            throw CommandRejection(.illegalTransition, "deployment \(deployment.deploymentID) is \(deployment.status.rawValue), not running")
        }
    }

    private static func requireRunningStep(
        _ deployment: DeploymentState, _ progress: DeploymentProgress, _ step: DeploymentStep
    ) throws {
        try requireRunning(deployment)
        let current = try stepStatus(progress, step)
        guard current == .running else { throw CommandRejection(.illegalTransition, "step \(step) is \(current.rawValue), not running") }
    }

    private static func stepStatus(_ progress: DeploymentProgress, _ step: DeploymentStep) throws -> StepProgress.Status {
        guard let entry = progress.steps.first(where: { $0.step == step }) else {
            throw CommandRejection(.invalid, "step \(step) is not in this deployment's pipeline")
        }
        return entry.status
    }

    private static func stream(_ deployment: DeploymentState) -> StreamID { DomainIDs.deploymentStream(deployment.deploymentID) }

    private static func write(_ deployment: DeploymentState, _ events: [DomainEvent]) -> Decision {
        Decision([.init(stream(deployment), expectedVersion: .exact(deployment.version), events)])
    }
}
