import Ledger

/// An environment (e.g. staging, production) was created in a project. It is active, and so
/// counts against its organisation's quota, from now until it is destroyed.
public struct EnvironmentCreated: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentCreated"
    public var environmentID: String
    public var projectID: String
    public var organisationID: String
    public var name: String
    /// What it is for (production, staging, …), when its creator said.
    public var type: EnvironmentType?

    public init(environmentID: String, projectID: String, organisationID: String, name: String, type: EnvironmentType? = nil) {
        self.type = type
        self.environmentID = environmentID
        self.projectID = projectID
        self.organisationID = organisationID
        self.name = name
    }
}

/// An environment's configuration was set: server, pipeline, resources, tracked branch.
public struct EnvironmentConfigured: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentConfigured"
    public var environmentID: String
    public var configuration: EnvironmentConfiguration
    /// What changed, before and after (absent in events written before it was recorded).
    public var changes: [ConfigurationChange]?

    public init(environmentID: String, configuration: EnvironmentConfiguration, changes: [ConfigurationChange]? = nil) {
        self.environmentID = environmentID
        self.configuration = configuration
        self.changes = changes
    }
}

/// The environment took on a deployment: from now until it ends, no other may start. Written
/// to the environment stream at the version the decision saw, which is what makes a concurrent
/// second request fail (invariant 9).
public struct EnvironmentDeploymentBegan: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentDeploymentBegan"
    public var environmentID: String
    public var deploymentID: String
    public var number: Int
    public var trigger: DeploymentTrigger

    public init(environmentID: String, deploymentID: String, number: Int, trigger: DeploymentTrigger) {
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.number = number
        self.trigger = trigger
    }
}

/// The environment's deployment in flight ended, with its outcome and what it deployed.
public struct EnvironmentDeploymentEnded: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentDeploymentEnded"
    public var environmentID: String
    public var deploymentID: String
    public var number: Int
    public var status: DeploymentStatus
    public var git: GitReference
    public var configuration: EnvironmentConfiguration
    /// Set when the deployment was a rollback to this earlier deployment.
    public var rollbackTo: String?

    public init(
        environmentID: String, deploymentID: String, number: Int, status: DeploymentStatus, git: GitReference,
        configuration: EnvironmentConfiguration, rollbackTo: String? = nil
    ) {
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.number = number
        self.status = status
        self.git = git
        self.configuration = configuration
        self.rollbackTo = rollbackTo
    }
}

/// The environment was destroyed: inactive from now on, which releases its quota by
/// construction. `deploymentID` names the destroy record in the deployment history.
public struct EnvironmentDestroyed: LedgerEvent, Equatable {
    public static let eventType = "EnvironmentDestroyed"
    public var environmentID: String
    public var deploymentID: String
    public var number: Int
    /// Whether the environment's data directory was deleted too.
    public var deleteData: Bool

    public init(environmentID: String, deploymentID: String, number: Int, deleteData: Bool) {
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.number = number
        self.deleteData = deleteData
    }
}
