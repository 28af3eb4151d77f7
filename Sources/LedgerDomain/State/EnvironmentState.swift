import Ledger

/// A successful deployment an environment can return to.
public struct Release: Codable, Sendable, Equatable {
    public var deploymentID: String
    public var number: Int
    public var git: GitReference
    public var configuration: EnvironmentConfiguration
    public var deployedAtMicroseconds: Int64
    /// Set when a later rollback replaced it: no longer a rollback target.
    public var rolledBack: Bool
}

/// An environment as its own stream tells it: configuration, status, whether it is active,
/// the deployment in flight and its releases.
///
/// The fold behind the `environments` projection, the deploy decisions and time travel.
public struct EnvironmentState: Codable, Sendable, Equatable {
    public var environmentID: String
    public var projectID: String
    public var organisationID: String
    public var name: String
    public var configuration: EnvironmentConfiguration?
    public var status: EnvironmentStatus
    /// Active environments count against the organisation's quota; destroying one ends that.
    public var active: Bool
    /// How many deployments (including destroy records) it has had: the last number used.
    public var deploymentCount: Int
    public var inFlight: String?
    /// What runs now: the latest successful deployment (or the rollback that restored one).
    public var currentRelease: Release?
    /// The release that ran before the current one and is still good: the default rollback target.
    public var lastStableRelease: Release?
    /// Every successful deployment, oldest first.
    public var releases: [Release]
    public var createdAtMicroseconds: Int64
    public var destroyedAtMicroseconds: Int64?
    public var version: Int64
    /// The protection rules in force (nil: none).
    public var protection: ProtectionRules?
    /// Deployments that took a number and wait for approval, oldest first.
    public var awaitingApproval: [EnvironmentDeploymentAwaitingApproval] = []
    /// The environment's own freeze windows (a project's apply too).
    public var freezeWindows: [FreezeWindow] = []
    /// What it is for, when its creator said (production locks auto-delete off).
    public var type: EnvironmentType?
    /// Deployments planned ahead, with what became of their occurrences so far.
    public var schedules: [DeploymentSchedule] = []

    public static func start(_ record: DomainRecord) -> EnvironmentState? {
        guard case .environmentCreated(let e) = record.event else { return nil }
        return EnvironmentState(
            environmentID: e.environmentID, projectID: e.projectID, organisationID: e.organisationID, name: e.name,
            configuration: nil, status: .pending, active: true, deploymentCount: 0, inFlight: nil, currentRelease: nil,
            lastStableRelease: nil, releases: [], createdAtMicroseconds: record.recordedAtMicroseconds, version: record.streamVersion, type: e.type)
    }

    public mutating func apply(_ record: DomainRecord) {
        version = record.streamVersion
        switch record.event {
        case .environmentConfigured(let e): configuration = e.configuration
        case .environmentProtectionChanged, .freezeWindowsChanged, .deploymentScheduleSet, .deploymentScheduleRemoved, .scheduledOccurrenceRecorded:
            applyGovernance(record.event)
        case .environmentDeploymentAwaitingApproval(let e):
            awaitingApproval.append(e)
            deploymentCount = max(deploymentCount, e.number)
        case .environmentDeploymentBegan(let e):
            awaitingApproval.removeAll { $0.deploymentID == e.deploymentID }
            inFlight = e.deploymentID
            deploymentCount = max(deploymentCount, e.number)
            status = .deploying
            active = true
            destroyedAtMicroseconds = nil
        case .environmentDeploymentEnded(let e):
            awaitingApproval.removeAll { $0.deploymentID == e.deploymentID }
            // Only the deployment in flight changes the environment: a destroy's teardown that
            // ends after the environment was destroyed (or deployed again) leaves it be.
            guard inFlight == e.deploymentID else { break }
            inFlight = nil
            switch e.status {
            case .success:
                let release = Release(
                    deploymentID: e.deploymentID, number: e.number, git: e.git, configuration: e.configuration,
                    deployedAtMicroseconds: record.recordedAtMicroseconds, rolledBack: false)
                // A rollback replaces the current release — unless it restores that very release
                // (after a failed deployment the host may have switched away from it).
                if let target = e.rollbackTo, let replaced = currentRelease, replaced.deploymentID != target,
                    let index = releases.firstIndex(where: { $0.deploymentID == replaced.deploymentID })
                {
                    releases[index].rolledBack = true
                }
                releases.append(release)
                currentRelease = release
                lastStableRelease = releases.dropLast().last { !$0.rolledBack }
                status = .running
            case .failed, .timedOut: status = .failed
            default: status = currentRelease == nil ? .pending : .running
            }
        case .environmentDestroyed(let e):
            deploymentCount = max(deploymentCount, e.number)
            status = .destroyed
            active = false
            inFlight = nil
            currentRelease = nil
            lastStableRelease = nil
            destroyedAtMicroseconds = record.recordedAtMicroseconds
        default: break
        }
    }

    public static func fold(_ records: [DomainRecord]) -> EnvironmentState? {
        guard let first = records.first, var state = start(first) else { return nil }
        for record in records.dropFirst() { state.apply(record) }
        return state
    }

    /// The successful deployments that are still rollback targets, newest first.
    public var rollbackTargets: [Release] { releases.filter { !$0.rolledBack }.reversed() }

    public static let eventTypes: Set<String> = [
        EnvironmentCreated.eventType, EnvironmentConfigured.eventType, EnvironmentDeploymentBegan.eventType,
        EnvironmentDeploymentEnded.eventType, EnvironmentDestroyed.eventType, EnvironmentProtectionChanged.eventType,
        EnvironmentDeploymentAwaitingApproval.eventType, FreezeWindowsChanged.eventType, DeploymentScheduleSet.eventType,
        DeploymentScheduleRemoved.eventType, ScheduledOccurrenceRecorded.eventType,
    ]
}

/// An organisation as its stream tells it.
public struct OrganisationState: Codable, Sendable, Equatable {
    public var organisationID: String
    public var name: String
    public var quota: Resources?
    /// What each active environment of the organisation is allocated, as its stream recorded
    /// it (``OrganisationAllocationChanged``); a destroyed environment is no longer here.
    public var allocations: [String: Resources] = [:]
    /// The organisation stream's version: quota decisions append at exactly this version, so
    /// two concurrent allocations cannot both fit under the limit.
    public var version: Int64 = 0

    /// The sum of the allocations.
    public var used: Resources { allocations.values.reduce(.zero, +) }

    /// The organisation after `records`; with `earlier`, the state folded from the records
    /// before them (only what was appended since is applied).
    public static func fold(_ records: [DomainRecord], onto earlier: OrganisationState? = nil) -> OrganisationState? {
        var state: OrganisationState
        if let earlier {
            state = earlier
        } else {
            guard case .organisationCreated(let e)? = records.first?.event else { return nil }
            state = OrganisationState(organisationID: e.organisationID, name: e.name, quota: e.quota)
        }
        for record in records {
            state.version = record.streamVersion
            if case .organisationAllocationChanged(let change) = record.event {
                state.allocations[change.environmentID] = change.resources == .zero ? nil : change.resources
            }
        }
        return state
    }
}

/// A project as its stream tells it.
public struct ProjectState: Codable, Sendable, Equatable {
    public var projectID: String
    public var organisationID: String
    public var name: String
    public var repository: String?
    /// Freeze windows that apply to every environment of the project.
    public var freezeWindows: [FreezeWindow] = []

    /// The stream's version (a change of repository appends at exactly it).
    public var version: Int64 = 1

    public static func fold(_ records: [DomainRecord]) -> ProjectState? {
        guard case .projectCreated(let e)? = records.first?.event else { return nil }
        var state = ProjectState(projectID: e.projectID, organisationID: e.organisationID, name: e.name, repository: e.repository)
        for record in records {
            state.version = record.streamVersion
            switch record.event {
            case .projectRepositoryChanged(let change): state.repository = change.repository
            case .freezeWindowsChanged(let change): state.freezeWindows = change.windows
            default: break
            }
        }
        return state
    }
}
