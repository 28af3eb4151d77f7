import Ledger
import LedgerDomain

/// `deployments`: one ``DeploymentState`` per deployment — status, trigger, git, timings —
/// filterable by organisation, project, environment, status and trigger, newest first.
public enum DeploymentsFold: KeyedFold {
    public static let name = "deployments"
    public static let version = 1
    public static let eventTypes = DeploymentState.eventTypes
    public static let indexedExpressions = [
        "(state->>'organisationID'), ((state->>'requestedPosition')::bigint) DESC",
        "(state->>'environmentID'), ((state->>'requestedPosition')::bigint) DESC",
        "(state->>'projectID')", "(state->>'status')", "((state->>'requestedPosition')::bigint) DESC",
    ]
    public static func key(of stream: StreamID) -> String? { DomainIDs.id(of: stream) }
    public static func start(_ record: DomainRecord) -> DeploymentState? { DeploymentState.start(record) }
    public static func apply(_ record: DomainRecord, to state: inout DeploymentState) { state.apply(record) }
}

/// `progress`: one ``DeploymentProgress`` per deployment — every step's status, timestamps,
/// duration and latest message, the current step, "step N of M" and percent.
public enum ProgressFold: KeyedFold {
    public static let name = "progress"
    public static let version = 1
    public static let eventTypes = DeploymentProgress.eventTypes
    public static let indexedExpressions: [String] = []
    public static func key(of stream: StreamID) -> String? { DomainIDs.id(of: stream) }
    public static func start(_ record: DomainRecord) -> DeploymentProgress? { DeploymentProgress.start(record) }
    public static func apply(_ record: DomainRecord, to state: inout DeploymentProgress) { state.apply(record) }
}

/// `environments`: one ``EnvironmentState`` per environment — status, active flag, current and
/// last stable release, and its releases (the rollback targets with git info and snapshot).
public enum EnvironmentsFold: KeyedFold {
    public static let name = "environments"
    public static let version = 1
    public static let eventTypes = EnvironmentState.eventTypes
    public static let indexedExpressions = ["(state->>'organisationID')", "(state->>'projectID')"]
    public static func key(of stream: StreamID) -> String? { DomainIDs.id(of: stream) }
    public static func start(_ record: DomainRecord) -> EnvironmentState? { EnvironmentState.start(record) }
    public static func apply(_ record: DomainRecord, to state: inout EnvironmentState) { state.apply(record) }
}

/// `quota`: one ``QuotaEntry`` per organisation (its limits) and per environment (its
/// allocation and active flag); usage sums the active ones of an organisation.
public enum QuotaFold: KeyedFold {
    public static let name = "quota"
    public static let version = 1
    public static let eventTypes = QuotaEntry.eventTypes
    public static let indexedExpressions = ["(state->>'organisationID')"]
    public static func key(of stream: StreamID) -> String? { stream.rawValue }
    public static func start(_ record: DomainRecord) -> QuotaEntry? { QuotaEntry.start(record) }
    public static func apply(_ record: DomainRecord, to state: inout QuotaEntry) { state.apply(record) }
}

/// `setup`: organisations and projects, for listings.
public enum SetupFold: KeyedFold {
    public static let name = "setup"
    /// 2: a project's repository follows `ProjectRepositoryChanged`.
    public static let version = 2
    public static let eventTypes: Set<String> = [OrganisationCreated.eventType, ProjectCreated.eventType, ProjectRepositoryChanged.eventType]
    public static let indexedExpressions = ["(state->>'organisationID')"]

    /// An organisation or a project.
    public struct Entry: Codable, Sendable, Equatable {
        public var kind: String
        public var id: String
        public var organisationID: String
        public var name: String
        public var quota: Resources?
        public var repository: String?
        public var createdAtMicroseconds: Int64
    }

    public static func key(of stream: StreamID) -> String? { stream.rawValue }
    public static func start(_ record: DomainRecord) -> Entry? {
        switch record.event {
        case .organisationCreated(let e):
            Entry(kind: "organisation", id: e.organisationID, organisationID: e.organisationID, name: e.name, quota: e.quota, createdAtMicroseconds: record.recordedAtMicroseconds)
        case .projectCreated(let e):
            Entry(kind: "project", id: e.projectID, organisationID: e.organisationID, name: e.name, repository: e.repository, createdAtMicroseconds: record.recordedAtMicroseconds)
        default: nil
        }
    }
    public static func apply(_ record: DomainRecord, to state: inout Entry) {
        if case .projectRepositoryChanged(let e) = record.event { state.repository = e.repository }
    }
}
