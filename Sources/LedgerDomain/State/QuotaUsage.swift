import Ledger

/// One organisation's or one environment's part in quota accounting: an organisation's limits,
/// or an environment's allocation and whether it is active.
///
/// Usage is the sum over environments whose `active` flag is set, and only
/// `EnvironmentDestroyed` clears it: a destroy releases quota by construction, not because
/// someone remembered to flip a flag.
public struct QuotaEntry: Codable, Sendable, Equatable {
    public var organisationID: String
    /// Set for an environment's entry.
    public var environmentID: String?
    /// Set for an organisation's entry, when it has limits.
    public var quota: Resources?
    public var resources: Resources
    public var active: Bool

    public static func start(_ record: DomainRecord) -> QuotaEntry? {
        switch record.event {
        case .organisationCreated(let e):
            QuotaEntry(organisationID: e.organisationID, environmentID: nil, quota: e.quota, resources: .zero, active: false)
        case .environmentCreated(let e):
            QuotaEntry(organisationID: e.organisationID, environmentID: e.environmentID, quota: nil, resources: .zero, active: true)
        default: nil
        }
    }

    public mutating func apply(_ record: DomainRecord) {
        switch record.event {
        case .environmentConfigured(let e): resources = e.configuration.resources
        case .environmentDeploymentBegan: active = true
        case .environmentDestroyed: active = false
        default: break
        }
    }

    public static let eventTypes: Set<String> = [
        OrganisationCreated.eventType, EnvironmentCreated.eventType, EnvironmentConfigured.eventType,
        EnvironmentDeploymentBegan.eventType, EnvironmentDestroyed.eventType,
    ]
}

/// What an organisation's active environments are allocated, against its quota.
public struct QuotaUsage: Codable, Sendable, Equatable {
    public var organisationID: String
    public var quota: Resources?
    public var used: Resources
    public var activeEnvironments: Int
    public var inactiveEnvironments: Int

    /// Sums the entries of one organisation.
    public init(organisationID: String, entries: [QuotaEntry]) {
        self.organisationID = organisationID
        let mine = entries.filter { $0.organisationID == organisationID }
        quota = mine.first { $0.environmentID == nil }?.quota
        let environments = mine.filter { $0.environmentID != nil }
        used = environments.filter(\.active).reduce(.zero) { $0 + $1.resources }
        activeEnvironments = environments.filter(\.active).count
        inactiveEnvironments = environments.count - activeEnvironments
    }
}
