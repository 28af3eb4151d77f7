import Ledger
import Foundation

/// A deployment was requested: the first event of a deployment stream, carrying everything
/// needed to run it again — trigger, git reference, who asked, and a snapshot of the
/// environment's configuration.
///
/// Schema version 2. Version 1 (before tags existed) stored the git reference as flat
/// `branch`/`commit` fields and had no `force` flag; ``upcast(fromVersion1:)`` reads it.
public struct DeploymentRequested: LedgerEvent, Equatable {
    public static let eventType = "DeploymentRequested"
    public static let schemaVersion = 2

    public var deploymentID: String
    public var environmentID: String
    public var projectID: String
    public var organisationID: String
    /// 1 for the environment's first deployment, then counting up (the seed's "version").
    public var number: Int
    public var trigger: DeploymentTrigger
    public var git: GitReference
    public var requestedBy: String
    /// The person of record behind the request: the user a token belongs to, or for a push the
    /// commit's author. Absent in older events and when no person is known.
    public var requester: String?
    /// Which upstream deployment proves the commit succeeded there first, when a rule asked.
    public var promotion: PromotionEvidence?
    /// Set when it was requested through a freeze by breaking glass.
    public var breakGlass: BreakGlass?
    public var retryOf: String?
    public var rollbackTo: String?
    /// Redeploy even when the environment already runs this reference.
    public var force: Bool
    public var configuration: EnvironmentConfiguration
    /// For a destroy: whether its data goes too (the teardown removes the deploy path).
    public var deleteData: Bool?
    /// The pipeline it is planned to run (name, file fingerprint, steps), when an executor had
    /// published one for its operation. Absent in older events and on simulator-only ledgers.
    public var pipeline: PlannedPipeline?

    public init(
        deploymentID: String, environmentID: String, projectID: String, organisationID: String, number: Int,
        trigger: DeploymentTrigger, git: GitReference, requestedBy: String, retryOf: String? = nil, rollbackTo: String? = nil,
        force: Bool = false, configuration: EnvironmentConfiguration, deleteData: Bool? = nil,
        pipeline: PlannedPipeline? = nil, requester: String? = nil, promotion: PromotionEvidence? = nil, breakGlass: BreakGlass? = nil
    ) {
        self.promotion = promotion
        self.breakGlass = breakGlass
        self.requester = requester
        self.deleteData = deleteData
        self.pipeline = pipeline
        self.deploymentID = deploymentID
        self.environmentID = environmentID
        self.projectID = projectID
        self.organisationID = organisationID
        self.number = number
        self.trigger = trigger
        self.git = git
        self.requestedBy = requestedBy
        self.retryOf = retryOf
        self.rollbackTo = rollbackTo
        self.force = force
        self.configuration = configuration
    }

    /// The shape schema version 1 stored.
    struct Version1: Decodable {
        var deploymentID: String
        var environmentID: String
        var projectID: String
        var organisationID: String
        var number: Int
        var trigger: DeploymentTrigger
        var branch: String?
        var commit: String?
        var commitMessage: String?
        var requestedBy: String
        var retryOf: String?
        var rollbackTo: String?
        var configuration: EnvironmentConfiguration
    }

    /// Reads a version 1 payload as today's shape.
    public static func upcast(fromVersion1 data: Data) throws -> DeploymentRequested {
        let old = try LedgerJSON.decode(Version1.self, from: data)
        return DeploymentRequested(
            deploymentID: old.deploymentID, environmentID: old.environmentID, projectID: old.projectID,
            organisationID: old.organisationID, number: old.number, trigger: old.trigger,
            git: GitReference(branch: old.branch, commit: old.commit, message: old.commitMessage), requestedBy: old.requestedBy,
            retryOf: old.retryOf, rollbackTo: old.rollbackTo, force: false, configuration: old.configuration)
    }
}
