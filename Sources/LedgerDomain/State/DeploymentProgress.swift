import Ledger

/// The progress of one pipeline step.
public struct StepProgress: Codable, Sendable, Equatable {
    /// pending, running, completed, failed or skipped.
    public enum Status: String, Codable, Sendable { case pending, running, completed, failed, skipped }

    public var step: DeploymentStep
    public var status: Status
    public var startedAtMicroseconds: Int64?
    public var finishedAtMicroseconds: Int64?
    public var durationMs: Int?
    /// The newest log line or summary seen for the step.
    public var latestMessage: String?
}

/// "Step 5 of 14, 65 %": a deployment's steps, current step and percent complete.
///
/// A pure fold over the deployment stream (including its log lines), behind the `progress`
/// projection and time travel.
public struct DeploymentProgress: Codable, Sendable, Equatable {
    public var deploymentID: String
    public var status: DeploymentStatus
    public var steps: [StepProgress]
    public var currentStep: DeploymentStep?
    public var startedAtMicroseconds: Int64?
    public var finishedAtMicroseconds: Int64?

    /// Steps that are done (completed or skipped).
    public var doneSteps: Int { steps.filter { $0.status == .completed || $0.status == .skipped }.count }

    /// Percent complete: done steps over all steps, 100 on success.
    public var percent: Int {
        if status == .success { return 100 }
        guard !steps.isEmpty else { return 0 }
        return doneSteps * 100 / steps.count
    }

    /// The 1-based number of the step being worked on (or the last one done), for "step N of M".
    public var stepNumber: Int {
        if let currentStep, let index = steps.firstIndex(where: { $0.step == currentStep }) { return index + 1 }
        return doneSteps
    }

    public static func start(_ record: DomainRecord) -> DeploymentProgress? {
        guard case .deploymentRequested(let r) = record.event else { return nil }
        return DeploymentProgress(
            deploymentID: r.deploymentID, status: .pending,
            steps: (r.pipeline?.steps ?? r.configuration.pipeline).map { StepProgress(step: $0, status: .pending) }, currentStep: nil)
    }

    public mutating func apply(_ record: DomainRecord) {
        let at = record.recordedAtMicroseconds
        switch record.event {
        case .deploymentQueued: status = .queued
        case .deploymentStarted(let e):
            status = .building
            startedAtMicroseconds = at
            // The executor's steps replace the plan only when its file changed since the request.
            if let pipeline = e.steps, !pipeline.isEmpty, pipeline != steps.map(\.step) {
                steps = pipeline.map { StepProgress(step: $0, status: .pending) }
            }
        case .stepStarted(let e):
            if e.step.isDeployPhase && status == .building { status = .deploying }
            currentStep = e.step
            update(e.step) {
                $0.status = .running
                $0.startedAtMicroseconds = at
            }
        case .stepCompleted(let e):
            update(e.step) {
                $0.status = .completed
                $0.finishedAtMicroseconds = at
                $0.durationMs = e.durationMs
                if let summary = e.summary { $0.latestMessage = summary }
            }
        case .stepFailed(let e):
            update(e.step) {
                $0.status = .failed
                $0.finishedAtMicroseconds = at
                $0.durationMs = e.durationMs
                $0.latestMessage = e.error
            }
        case .stepSkipped(let e):
            update(e.step) {
                $0.status = .skipped
                $0.latestMessage = e.reason
            }
        case .logLinesAppended(let e):
            // Consecutive lines mostly name the same step: look it up once per run of them.
            var runStep: DeploymentStep?, runIndex: Int?
            for line in e.lines {
                guard let step = line.step ?? currentStep else { continue }
                if step != runStep {
                    runStep = step
                    runIndex = steps.firstIndex { $0.step == step }
                }
                if let runIndex { steps[runIndex].latestMessage = line.message }
            }
        case .deploymentSucceeded: finish(.success, at: at)
        case .deploymentFailed: finish(.failed, at: at)
        case .deploymentCancelled: finish(.cancelled, at: at)
        case .deploymentTimedOut: finish(.timedOut, at: at)
        case .deploymentRolledBack: status = .rolledBack
        case .deploymentDestroyed: finish(.destroyed, at: at)
        default: break
        }
    }

    private mutating func finish(_ outcome: DeploymentStatus, at: Int64) {
        status = outcome
        finishedAtMicroseconds = at
        if outcome == .success { currentStep = nil }
    }

    private mutating func update(_ step: DeploymentStep, _ change: (inout StepProgress) -> Void) {
        guard let index = steps.firstIndex(where: { $0.step == step }) else { return }
        change(&steps[index])
    }

    public static func fold(_ records: [DomainRecord]) -> DeploymentProgress? {
        guard let first = records.first, var state = start(first) else { return nil }
        for record in records.dropFirst() { state.apply(record) }
        return state
    }

    public static let eventTypes: Set<String> = DeploymentState.eventTypes.union([
        StepCompleted.eventType, StepFailed.eventType, StepSkipped.eventType, LogLinesAppended.eventType,
    ])
}
