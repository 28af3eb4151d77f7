import Ledger

/// An organisation was created: the owner of projects and the unit quotas are counted in.
public struct OrganisationCreated: LedgerEvent, Equatable {
    public static let eventType = "OrganisationCreated"
    public var organisationID: String
    public var name: String
    /// The most its active environments may be allocated together, when limited.
    public var quota: Resources?

    public init(organisationID: String, name: String, quota: Resources? = nil) {
        self.organisationID = organisationID
        self.name = name
        self.quota = quota
    }
}

/// A project was created inside an organisation.
/// A project's repository address was set or changed: what every later deployment clones.
public struct ProjectRepositoryChanged: LedgerEvent, Equatable {
    public static let eventType = "ProjectRepositoryChanged"
    public var projectID: String
    public var repository: String
    /// The address before, if it had one.
    public var previous: String?

    public init(projectID: String, repository: String, previous: String?) {
        self.projectID = projectID
        self.repository = repository
        self.previous = previous
    }
}

public struct ProjectCreated: LedgerEvent, Equatable {
    public static let eventType = "ProjectCreated"
    public var projectID: String
    public var organisationID: String
    public var name: String
    /// The git repository it deploys from, when known.
    public var repository: String?

    public init(projectID: String, organisationID: String, name: String, repository: String? = nil) {
        self.projectID = projectID
        self.organisationID = organisationID
        self.name = name
        self.repository = repository
    }
}

/// A project's git webhook secret was set or replaced. Says only that: the secret itself is
/// kept out of the log (it must stay readable to check signatures, so it is never hashed away).
public struct ProjectWebhookSecretSet: LedgerEvent, Equatable {
    public static let eventType = "ProjectWebhookSecretSet"
    public var projectID: String

    public init(projectID: String) {
        self.projectID = projectID
    }
}
