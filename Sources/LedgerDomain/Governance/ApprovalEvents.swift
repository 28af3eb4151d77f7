import Ledger

/// An environment's protection rules were set (nil: removed). Every deployment requested from
/// now on is held to them; the rules in force at any instant are the last of these before it.
public struct EnvironmentProtectionChanged: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentProtectionChanged"
    public var environmentID: String
    public var rules: ProtectionRules?

    public init(environmentID: String, rules: ProtectionRules?) {
        self.environmentID = environmentID
        self.rules = rules
    }
}

/// The environment took a number for a deployment that waits for approval: unlike
/// ``EnvironmentDeploymentBegan`` it holds no lock, so the environment stays free meanwhile.
public struct EnvironmentDeploymentAwaitingApproval: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentDeploymentAwaitingApproval"
    public var environmentID: String
    public var deploymentID: String
    public var number: Int
    public var trigger: DeploymentTrigger
    /// Whether it deploys the environment's current configuration (a deploy), so that a change
    /// of it voids the deployment's approvals; a retry or rollback runs a snapshot of its own.
    public var followsConfiguration: Bool

    public init(environmentID: String, deploymentID: String, number: Int, trigger: DeploymentTrigger, followsConfiguration: Bool) {
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.number = number
        self.trigger = trigger
        self.followsConfiguration = followsConfiguration
    }
}

/// A requested deployment waits for approvals of exactly `artifact` before it may run: the
/// rules in force when it was requested, as they apply to it.
public struct DeploymentAwaitingApproval: LedgerEvent, Equatable {
    public static let eventType = "DeploymentAwaitingApproval"
    public var deploymentID: String
    public var requiredApprovals: Int
    public var reviewers: ProtectionRules.Reviewers
    public var approvalLifetimeHours: Int
    public var artifact: ApprovedArtifact
    /// The people who may not approve: the requester, and for a push the commit's author.
    public var excluded: [String]
    /// The wait timer: not released before this instant, however soon it is approved.
    public var notBeforeMicroseconds: Int64?

    public init(
        deploymentID: String, requiredApprovals: Int, reviewers: ProtectionRules.Reviewers, approvalLifetimeHours: Int,
        artifact: ApprovedArtifact, excluded: [String], notBeforeMicroseconds: Int64? = nil
    ) {
        self.notBeforeMicroseconds = notBeforeMicroseconds
        self.deploymentID = deploymentID
        self.requiredApprovals = requiredApprovals
        self.reviewers = reviewers
        self.approvalLifetimeHours = approvalLifetimeHours
        self.artifact = artifact
        self.excluded = excluded
    }
}

/// A reviewer approved a waiting deployment's exact artifact, with a comment.
public struct DeploymentApproved: LedgerEvent, Equatable {
    public static let eventType = "DeploymentApproved"
    public var deploymentID: String
    public var approver: String
    public var role: Role?
    public var comment: String
    public var artifact: ApprovedArtifact

    public init(deploymentID: String, approver: String, role: Role?, comment: String, artifact: ApprovedArtifact) {
        self.deploymentID = deploymentID
        self.approver = approver
        self.role = role
        self.comment = comment
        self.artifact = artifact
    }
}

/// A reviewer rejected a waiting deployment: it ends, never having run.
public struct DeploymentRejected: LedgerEvent, Equatable {
    public static let eventType = "DeploymentRejected"
    public var deploymentID: String
    public var approver: String
    public var role: Role?
    public var comment: String

    public init(deploymentID: String, approver: String, role: Role?, comment: String) {
        self.deploymentID = deploymentID
        self.approver = approver
        self.role = role
        self.comment = comment
    }
}

/// The approvals given so far no longer count: what the deployment would run changed. It now
/// runs `configuration` (when that changed) and waits for approvals of `artifact`.
public struct DeploymentApprovalsVoided: LedgerEvent, Equatable {
    public static let eventType = "DeploymentApprovalsVoided"
    public var deploymentID: String
    public var reason: String
    public var artifact: ApprovedArtifact
    public var configuration: EnvironmentConfiguration?
    public var pipeline: PlannedPipeline?

    public init(
        deploymentID: String, reason: String, artifact: ApprovedArtifact, configuration: EnvironmentConfiguration?, pipeline: PlannedPipeline?
    ) {
        self.deploymentID = deploymentID
        self.reason = reason
        self.artifact = artifact
        self.configuration = configuration
        self.pipeline = pipeline
    }
}

/// Enough approvals of the artifact: the deployment is released to the executors (it is
/// `pending` from here, and its environment's ``EnvironmentDeploymentBegan`` is written with it).
public struct DeploymentApprovalGranted: LedgerEvent, Equatable {
    public static let eventType = "DeploymentApprovalGranted"
    public var deploymentID: String
    /// The people whose approvals counted, in the order they gave them.
    public var approvers: [String]
    public var artifact: ApprovedArtifact

    public init(deploymentID: String, approvers: [String], artifact: ApprovedArtifact) {
        self.deploymentID = deploymentID
        self.approvers = approvers
        self.artifact = artifact
    }
}
