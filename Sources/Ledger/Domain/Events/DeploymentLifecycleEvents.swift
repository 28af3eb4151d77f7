/// The deployment was handed to the execution queue.
public struct DeploymentQueued: LedgerEvent, Equatable {
    public static let eventType = "DeploymentQueued"
    public var deploymentID: String
    public init(deploymentID: String) { self.deploymentID = deploymentID }
}

/// An executor claimed the deployment under a lease and began (status `building`).
public struct DeploymentStarted: LedgerEvent, Equatable {
    public static let eventType = "DeploymentStarted"
    public var deploymentID: String
    /// Which executor runs it (`simulator-…` for the simulator).
    public var executor: String
    /// The lease the executor holds; results under another lease are stale.
    public var lease: String

    public init(deploymentID: String, executor: String, lease: String) {
        self.deploymentID = deploymentID
        self.executor = executor
        self.lease = lease
    }
}

/// Someone asked to stop a running deployment; the executor stops at the next safe point.
public struct DeploymentCancellationRequested: LedgerEvent, Equatable {
    public static let eventType = "DeploymentCancellationRequested"
    public var deploymentID: String
    public var reason: String?
    public init(deploymentID: String, reason: String? = nil) {
        self.deploymentID = deploymentID
        self.reason = reason
    }
}

/// The deployment finished successfully.
public struct DeploymentSucceeded: LedgerEvent, Equatable {
    public static let eventType = "DeploymentSucceeded"
    public var deploymentID: String
    public init(deploymentID: String) { self.deploymentID = deploymentID }
}

/// The deployment failed; `step` is where, when it was in a step.
public struct DeploymentFailed: LedgerEvent, Equatable {
    public static let eventType = "DeploymentFailed"
    public var deploymentID: String
    public var step: DeploymentStep?
    public var error: String
    public init(deploymentID: String, step: DeploymentStep? = nil, error: String) {
        self.deploymentID = deploymentID
        self.step = step
        self.error = error
    }
}

/// The deployment stopped because it was cancelled.
public struct DeploymentCancelled: LedgerEvent, Equatable {
    public static let eventType = "DeploymentCancelled"
    public var deploymentID: String
    public var reason: String?
    public init(deploymentID: String, reason: String? = nil) {
        self.deploymentID = deploymentID
        self.reason = reason
    }
}

/// The deployment ran out of time.
public struct DeploymentTimedOut: LedgerEvent, Equatable {
    public static let eventType = "DeploymentTimedOut"
    public var deploymentID: String
    public var step: DeploymentStep?
    public init(deploymentID: String, step: DeploymentStep? = nil) {
        self.deploymentID = deploymentID
        self.step = step
    }
}

/// A successful deployment was replaced by a rollback to an earlier one (status `rolled_back`).
public struct DeploymentRolledBack: LedgerEvent, Equatable {
    public static let eventType = "DeploymentRolledBack"
    public var deploymentID: String
    /// The rollback deployment that replaced it.
    public var replacedBy: String
    public init(deploymentID: String, replacedBy: String) {
        self.deploymentID = deploymentID
        self.replacedBy = replacedBy
    }
}

/// The record of an environment's destruction, in its deployment history (status `destroyed`).
public struct DeploymentDestroyed: LedgerEvent, Equatable {
    public static let eventType = "DeploymentDestroyed"
    public var deploymentID: String
    public var deleteData: Bool
    public init(deploymentID: String, deleteData: Bool) {
        self.deploymentID = deploymentID
        self.deleteData = deleteData
    }
}
