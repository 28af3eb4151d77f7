import Ledger

/// A deployment as its own stream tells it: what was asked, by whom, its status and timings.
///
/// A pure fold (``apply(_:)``) shared by the decisions, the `deployments` projection and time
/// travel, so all three agree by construction. Times are microseconds since 1970 from the
/// log's recorded-at, so a replay gives identical values.
public struct DeploymentState: Codable, Sendable, Equatable {
    public var deploymentID: String
    public var environmentID: String
    public var projectID: String
    public var organisationID: String
    public var number: Int
    public var trigger: DeploymentTrigger
    /// What it deploys: the reference asked for, with the commit the executor resolved it to
    /// once it has (``RevisionResolved``).
    public var git: GitReference
    /// The ref the executor resolved to `git.commit` (`refs/heads/main`), when it resolved one.
    public var resolvedRef: String?
    public var requestedBy: String
    /// The person of record behind the request (a token's user, a push's author), when known.
    public var requester: String?
    public var promotion: PromotionEvidence?
    public var breakGlass: BreakGlass?
    public var retryOf: String?
    public var rollbackTo: String?
    public var force: Bool
    public var configuration: EnvironmentConfiguration
    /// For a destroy: whether its data goes too.
    public var deleteData: Bool?
    /// The pipeline planned when it was requested (absent in older events).
    public var plannedPipeline: PlannedPipeline?
    /// The fingerprint of the pipeline file the executor ran, once started with one.
    public var pipelineFingerprint: String?
    public var status: DeploymentStatus
    /// The global position of the request: "newest first" sorts by it.
    public var requestedPosition: Int64
    public var requestedAtMicroseconds: Int64
    public var startedAtMicroseconds: Int64?
    public var finishedAtMicroseconds: Int64?
    public var executor: String?
    public var lease: String?
    public var cancellationRequested: Bool
    public var error: String?
    public var failedStep: DeploymentStep?
    public var replacedBy: String?
    /// How many tries were made when it was abandoned after transient errors.
    public var abandonedAfterAttempts: Int?
    /// The stream version this state reflects.
    public var version: Int64
    /// What it waited for and who approved it, when its environment's rules held it.
    public var approval: ApprovalState?

    /// From start (or request, when it never started) to finish, in milliseconds.
    public var durationMs: Int64? {
        guard let finishedAtMicroseconds else { return nil }
        return (finishedAtMicroseconds - (startedAtMicroseconds ?? requestedAtMicroseconds)) / 1_000
    }

    /// Starts the fold; nil for anything but the stream's `DeploymentRequested`.
    public static func start(_ record: DomainRecord) -> DeploymentState? {
        guard case .deploymentRequested(let r) = record.event else { return nil }
        return DeploymentState(
            deploymentID: r.deploymentID, environmentID: r.environmentID, projectID: r.projectID,
            organisationID: r.organisationID, number: r.number, trigger: r.trigger, git: r.git, requestedBy: r.requestedBy, requester: r.requester,
            promotion: r.promotion, breakGlass: r.breakGlass,
            retryOf: r.retryOf, rollbackTo: r.rollbackTo, force: r.force, configuration: r.configuration, deleteData: r.deleteData,
            plannedPipeline: r.pipeline, status: .pending,
            requestedPosition: record.position, requestedAtMicroseconds: record.recordedAtMicroseconds,
            cancellationRequested: false, version: record.streamVersion)
    }

    /// Folds one more event of the deployment's stream.
    public mutating func apply(_ record: DomainRecord) {
        version = record.streamVersion
        let at = record.recordedAtMicroseconds
        switch record.event {
        case .deploymentQueued: status = .queued
        case .deploymentStarted(let e):
            status = .building
            startedAtMicroseconds = at
            executor = e.executor
            lease = e.lease
            pipelineFingerprint = e.pipelineFingerprint
        case .revisionResolved(let e):
            git.commit = e.commit
            resolvedRef = e.ref
        case .deploymentTakenOver(let e):
            executor = e.executor
            lease = e.lease
        case .stepStarted(let e):
            if e.step.isDeployPhase && status == .building { status = .deploying }
        case .deploymentCancellationRequested: cancellationRequested = true
        case .deploymentSucceeded: finish(.success, at: at)
        case .deploymentFailed(let e):
            finish(.failed, at: at)
            error = e.error
            failedStep = e.step
            abandonedAfterAttempts = e.abandonedAfterAttempts
        case .deploymentCancelled: finish(.cancelled, at: at)
        case .deploymentTimedOut(let e):
            finish(.timedOut, at: at)
            error = "timed out"
            failedStep = e.step
        case .deploymentRolledBack(let e):
            status = .rolledBack
            replacedBy = e.replacedBy
        case .deploymentDestroyed: finish(.destroyed, at: at)
        case .deploymentAwaitingApproval(let e):
            status = .awaitingApproval
            approval = ApprovalState(
                requiredApprovals: e.requiredApprovals, reviewers: e.reviewers, approvalLifetimeHours: e.approvalLifetimeHours,
                artifact: e.artifact, excluded: e.excluded, notBeforeMicroseconds: e.notBeforeMicroseconds)
        case .deploymentApproved: approval?.apply(record.event, at: at)
        case .deploymentApprovalsVoided(let e):
            approval?.apply(record.event, at: at)
            if let changed = e.configuration { configuration = changed }
            if let changed = e.pipeline { plannedPipeline = changed }
        case .deploymentRejected:
            approval?.apply(record.event, at: at)
            finish(.rejected, at: at)
        case .deploymentApprovalGranted:
            approval?.apply(record.event, at: at)
            status = .pending
        default: break
        }
    }

    private mutating func finish(_ outcome: DeploymentStatus, at: Int64) {
        status = outcome
        finishedAtMicroseconds = at
    }

    /// Folds a whole stream; nil when it does not start with a request.
    public static func fold(_ records: [DomainRecord]) -> DeploymentState? {
        guard let first = records.first, var state = start(first) else { return nil }
        for record in records.dropFirst() { state.apply(record) }
        return state
    }

    /// The steps it is planned to run: the published pipeline's, or (on a ledger where no
    /// executor published one) the configuration's.
    public var plannedSteps: [DeploymentStep] { plannedPipeline?.steps ?? configuration.pipeline }

    /// The event types this fold reads.
    public static let eventTypes: Set<String> = [
        DeploymentRequested.eventType, DeploymentQueued.eventType, DeploymentStarted.eventType, DeploymentTakenOver.eventType,
        RevisionResolved.eventType, StepStarted.eventType,
        DeploymentCancellationRequested.eventType, DeploymentSucceeded.eventType, DeploymentFailed.eventType,
        DeploymentCancelled.eventType, DeploymentTimedOut.eventType, DeploymentRolledBack.eventType,
        DeploymentDestroyed.eventType, DeploymentAwaitingApproval.eventType, DeploymentApproved.eventType, DeploymentRejected.eventType,
        DeploymentApprovalsVoided.eventType, DeploymentApprovalGranted.eventType,
    ]
}
