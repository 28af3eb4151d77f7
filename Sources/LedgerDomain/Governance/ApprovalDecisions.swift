import Ledger

/// Approving, rejecting and voiding the approvals of a deployment that waits for them, as pure
/// functions of the folded streams. An approval is of an exact artifact (``ApprovedArtifact``);
/// the one that brings the standing approvals to the number required releases the deployment,
/// taking its environment's lock and allocation in the same atomic write — or, while a freeze
/// is in force, a wait timer runs or another deployment is in flight, is recorded and the
/// scheduler releases it when it may start.
public enum ApprovalDecisions {
    /// The longest comment an approval or rejection may carry.
    public static let maximumCommentLength = 2_000

    /// `approver` approves `deployment` as it would run now. When what it would run changed since
    /// it was requested (its environment's configuration, the published pipeline), the earlier
    /// approvals are voided first and this one is of the new artifact.
    public static func approve(
        _ deployment: DeploymentState?, environment: EnvironmentState?, approver: Approver, comment: String, governance: GovernanceInputs,
        organisation: OrganisationState? = nil, server: ServerState? = nil, pipelines: PipelineCatalog = .empty
    ) throws -> Decision {
        let nowMicroseconds = governance.nowMicroseconds
        let (deployment, waiting) = try awaiting(deployment)
        try check(comment)
        try checkEligible(approver, for: waiting, deployment: deployment, verb: "approve")
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        var (state, events, artifact, configuration) = refreshed(deployment, waiting, environment: environment, pipelines: pipelines, at: nowMicroseconds)
        if state.standing(at: nowMicroseconds).contains(where: { $0.person == approver.person }) {
            throw CommandRejection(.alreadyExists, "\(approver.person) has already approved deployment \(deployment.deploymentID)")
        }
        let approved = DeploymentApproved(
            deploymentID: deployment.deploymentID, approver: approver.person, role: approver.role, comment: comment, artifact: artifact)
        events.append(.deploymentApproved(approved))
        state.apply(.deploymentApproved(approved), at: nowMicroseconds)
        return try settle(
            deployment, state, environment: environment, events: events, artifact: artifact, configuration: configuration, governance: governance,
            organisation: organisation, server: server)
    }

    /// Releases `deployment` when its approvals stand and its wait timer has run out (what the
    /// scheduler asks as time passes); nothing while it may not start yet (a freeze, another
    /// deployment in flight, the timer), and only a void when what it would run changed.
    public static func releaseIfDue(
        _ deployment: DeploymentState?, environment: EnvironmentState?, governance: GovernanceInputs, organisation: OrganisationState? = nil,
        server: ServerState? = nil, pipelines: PipelineCatalog = .empty
    ) throws -> Decision {
        guard let deployment, deployment.status == .awaitingApproval, let waiting = deployment.approval, let environment else { return .nothing }
        let (state, events, artifact, configuration) = refreshed(deployment, waiting, environment: environment, pipelines: pipelines, at: governance.nowMicroseconds)
        return try settle(
            deployment, state, environment: environment, events: events, artifact: artifact, configuration: configuration, governance: governance,
            organisation: organisation, server: server)
    }

    /// The approval state after voiding what no longer matches what the deployment would run
    /// now, with the void's event when there is one.
    private static func refreshed(
        _ deployment: DeploymentState, _ waiting: ApprovalState, environment: EnvironmentState, pipelines: PipelineCatalog, at now: Int64
    ) -> (ApprovalState, [DomainEvent], ApprovedArtifact, EnvironmentConfiguration) {
        var state = waiting
        let (artifact, configuration, pipeline) = current(deployment, environment: environment, pipelines: pipelines)
        guard artifact != waiting.artifact else { return (state, [], artifact, configuration) }
        let voided = DeploymentApprovalsVoided(
            deploymentID: deployment.deploymentID,
            reason: artifact.differences(from: waiting.artifact).joined(separator: " and ") + " changed since it was requested",
            artifact: artifact, configuration: configuration == deployment.configuration ? nil : configuration,
            pipeline: pipeline == deployment.plannedPipeline ? nil : pipeline)
        state.apply(.deploymentApprovalsVoided(voided), at: now)
        return (state, [.deploymentApprovalsVoided(voided)], artifact, configuration)
    }

    /// `events` on the deployment's stream, and the release with them when enough approvals
    /// stand, the wait timer has run out, no freeze is in force (unless its request broke glass)
    /// and the environment is free. Otherwise the approval is recorded and the release waits: the
    /// scheduler releases it once all of that holds (``releaseIfDue(_:environment:governance:organisation:server:pipelines:)``).
    private static func settle(
        _ deployment: DeploymentState, _ state: ApprovalState, environment: EnvironmentState, events: [DomainEvent], artifact: ApprovedArtifact,
        configuration: EnvironmentConfiguration, governance: GovernanceInputs, organisation: OrganisationState?, server: ServerState?
    ) throws -> Decision {
        let now = governance.nowMicroseconds
        let only = Decision([.init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), events)])
        let standing = state.standing(at: now)
        let frozen = deployment.breakGlass == nil
            && !ProtectionGate.activeFreezes(environment.freezeWindows + governance.projectFreezes, trigger: deployment.trigger, at: now).isEmpty
        guard standing.count >= state.requiredApprovals, (state.notBeforeMicroseconds ?? 0) <= now, !frozen, environment.inFlight == nil else {
            return only
        }
        return try release(
            deployment, environment: environment, events: events + [
                .deploymentApprovalGranted(DeploymentApprovalGranted(deploymentID: deployment.deploymentID, approvers: standing.map(\.person), artifact: artifact))
            ], configuration: configuration, organisation: organisation, server: server)
    }

    /// `approver` rejects `deployment`: it ends without running, with the comment on record.
    public static func reject(_ deployment: DeploymentState?, approver: Approver, comment: String) throws -> Decision {
        let (deployment, waiting) = try awaiting(deployment)
        try check(comment)
        try checkEligible(approver, for: waiting, deployment: deployment, verb: "reject")
        return Decision([
            .init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), [
                .deploymentRejected(DeploymentRejected(deploymentID: deployment.deploymentID, approver: approver.person, role: approver.role, comment: comment))
            ]),
            ExecutionDecisions.ending(deployment, as: .rejected),
        ])
    }

    /// The writes that void the approvals of the waiting deployments that follow their
    /// environment's configuration, when it becomes `configuration`: they now run it, and wait
    /// for approvals of it.
    public static func voidOnReconfiguration(_ waiting: [DeploymentState], configuration: EnvironmentConfiguration) -> [Decision.Write] {
        waiting.compactMap { deployment in
            guard deployment.status == .awaitingApproval, let approval = deployment.approval, deployment.configuration != configuration else {
                return nil
            }
            var artifact = approval.artifact
            artifact.configurationFingerprint = ApprovedArtifact.fingerprint(of: configuration)
            return .init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .any, [
                .deploymentApprovalsVoided(DeploymentApprovalsVoided(
                    deploymentID: deployment.deploymentID, reason: "the environment's configuration changed", artifact: artifact,
                    configuration: configuration, pipeline: nil))
            ])
        }
    }

    /// Releases an approved deployment on its free environment: its stream's events, the
    /// environment's lock at the version seen (a concurrent release conflicts: one deployment in
    /// flight), and the allocations its configuration takes.
    private static func release(
        _ deployment: DeploymentState, environment: EnvironmentState, events: [DomainEvent], configuration: EnvironmentConfiguration,
        organisation: OrganisationState?, server: ServerState?
    ) throws -> Decision {
        let allocation = try QuotaDecisions.allocate(configuration.resources, to: environment.environmentID, in: organisation)
        let placement = try server.flatMap {
            try ServerDecisions.allocate(configuration.resources, to: environment.environmentID, organisation: environment.organisationID, on: $0)
        }
        return Decision([
            .init(DomainIDs.deploymentStream(deployment.deploymentID), expectedVersion: .exact(deployment.version), events),
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .environmentDeploymentBegan(EnvironmentDeploymentBegan(
                    environmentID: environment.environmentID, deploymentID: deployment.deploymentID, number: deployment.number,
                    trigger: deployment.trigger))
            ]),
        ] + [allocation, placement].compactMap { $0 })
    }

    /// What `deployment` would run if released now: a deploy runs its environment's current
    /// configuration, a retry or rollback its own snapshot; every one the pipeline published now.
    static func current(
        _ deployment: DeploymentState, environment: EnvironmentState, pipelines: PipelineCatalog
    ) -> (ApprovedArtifact, EnvironmentConfiguration, PlannedPipeline?) {
        let follows = environment.awaitingApproval.first { $0.deploymentID == deployment.deploymentID }?.followsConfiguration
            ?? (deployment.retryOf == nil && deployment.rollbackTo == nil)
        let configuration = follows ? environment.configuration ?? deployment.configuration : deployment.configuration
        let pipeline = pipelines.plan(trigger: deployment.trigger, rollbackTo: deployment.rollbackTo, git: deployment.git) ?? deployment.plannedPipeline
        let commit = deployment.approval?.artifact.commit ?? deployment.git.commit ?? ""
        return (ApprovedArtifact(commit: commit, configuration: configuration, pipeline: pipeline), configuration, pipeline)
    }

    private static func awaiting(_ deployment: DeploymentState?) throws -> (DeploymentState, ApprovalState) {
        guard let deployment else { throw CommandRejection(.notFound, "no such deployment") }
        guard deployment.status == .awaitingApproval, let approval = deployment.approval else {
            throw CommandRejection(.wrongStatus, "deployment \(deployment.deploymentID) is \(deployment.status.rawValue), not awaiting approval")
        }
        return (deployment, approval)
    }

    private static func check(_ comment: String) throws {
        guard (1...maximumCommentLength).contains(comment.count), !comment.unicodeScalars.contains(where: { $0 == "\0" }) else {
            throw CommandRejection(.invalid, "a comment of 1–\(maximumCommentLength) characters says why")
        }
    }

    private static func checkEligible(_ approver: Approver, for waiting: ApprovalState, deployment: DeploymentState, verb: String) throws {
        if waiting.excluded.contains(approver.person) {
            throw CommandRejection(
                .forbidden,
                "\(approver.person) requested deployment \(deployment.deploymentID) (or wrote its commit) and may not \(verb) it: that is for someone else"
                    + (verb == "reject" ? "; cancel it instead" : ""))
        }
        if let refusal = waiting.reviewers.refusal(of: approver) { throw CommandRejection(.forbidden, refusal) }
    }
}
