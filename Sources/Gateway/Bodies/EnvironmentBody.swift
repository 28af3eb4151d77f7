import Ledger
import LedgerDomain
import Projections

/// CPU, RAM and disk as the API shows them.
struct ResourcesBody: Encodable, Sendable {
    var cpuMillicores: Int
    var memoryMB: Int
    var diskGB: Int

    init(_ resources: Resources) {
        cpuMillicores = resources.cpuMillicores
        memoryMB = resources.memoryMB
        diskGB = resources.diskGB
    }
}

/// A release (a successful deployment) of an environment: what ran, from when, and whether it
/// can still be rolled back to.
struct ReleaseBody: Encodable, Sendable {
    var deploymentID: String
    var version: Int
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var gitMessage: String?
    /// The commit's author, when the deployment knew it (a git push does).
    var gitAuthor: String?
    var deployedAt: String
    var rollbackTarget: Bool

    init(_ release: Release) {
        deploymentID = release.deploymentID
        version = release.number
        gitBranch = release.git.branch
        gitCommit = release.git.commit
        gitTag = release.git.tag
        gitMessage = release.git.message
        gitAuthor = release.git.author
        deployedAt = Timestamps.format(release.deployedAtMicroseconds)
        rollbackTarget = !release.rolledBack
    }
}

/// An environment as the API shows it.
struct EnvironmentBody: Encodable, Sendable {
    struct Configuration: Encodable, Sendable {
        var host: String
        var sshUser: String
        var sshPort: Int
        var branch: String
        var autoDeploy: Bool
        var autoDelete: Bool
        var pushAutomation: Bool
        var pipeline: [String]
        var resources: ResourcesBody
        var server: String?
        var settings: [String: String]?
    }

    var id: String
    var organizationID: String
    var projectID: String
    var name: String
    /// production, staging, development or testing, when its creator said.
    var type: String?
    var status: String
    var active: Bool
    var deploymentCount: Int
    var inFlight: String?
    var currentRelease: ReleaseBody?
    var lastStableRelease: ReleaseBody?
    var configuration: Configuration?
    var createdAt: String
    var destroyedAt: String?
    /// The protection rules in force (null: none).
    var protection: ProtectionBody?
    /// The deployments waiting for approval here, oldest first.
    var awaitingApproval: [String]
    /// The environment's own freeze windows (its project's are at `PUT /projects/{id}/freeze-windows`).
    var freezeWindows: [FreezeWindowBody]
    /// Deployments planned ahead.
    var schedules: [ScheduleBody]
    var position: Int64

    init(_ state: EnvironmentState, position: Int64) {
        protection = state.protection.map { ProtectionBody(environmentID: state.environmentID, $0) }
        awaitingApproval = state.awaitingApproval.map(\.deploymentID)
        freezeWindows = state.freezeWindows.map(FreezeWindowBody.init)
        schedules = state.schedules.map { ScheduleBody($0) }
        id = state.environmentID
        organizationID = state.organisationID
        projectID = state.projectID
        name = state.name
        type = state.type?.rawValue
        status = state.status.rawValue
        active = state.active
        deploymentCount = state.deploymentCount
        inFlight = state.inFlight
        currentRelease = state.currentRelease.map(ReleaseBody.init)
        lastStableRelease = state.lastStableRelease.map(ReleaseBody.init)
        configuration = state.configuration.map {
            Configuration(
                host: $0.host, sshUser: $0.sshUser, sshPort: $0.sshPort, branch: $0.branch, autoDeploy: $0.autoDeploy,
                autoDelete: $0.autoDelete ?? false, pushAutomation: $0.pushAutomation ?? true,
                pipeline: $0.pipeline.map(\.rawValue), resources: ResourcesBody($0.resources), server: $0.server, settings: $0.settings)
        }
        createdAt = Timestamps.format(state.createdAtMicroseconds)
        destroyedAt = state.destroyedAtMicroseconds.map(Timestamps.format)
        self.position = position
    }
}

/// An organisation's quota and what its active environments use.
struct QuotaBody: Encodable, Sendable {
    var organizationID: String
    var quota: ResourcesBody?
    var used: ResourcesBody
    var activeEnvironments: Int
    var inactiveEnvironments: Int
    var position: Int64

    init(_ usage: QuotaUsage, position: Int64) {
        organizationID = usage.organisationID
        quota = usage.quota.map(ResourcesBody.init)
        used = ResourcesBody(usage.used)
        activeEnvironments = usage.activeEnvironments
        inactiveEnvironments = usage.inactiveEnvironments
        self.position = position
    }
}

/// A state of the past (time travel): which position and instant it is as of.
struct HistoryBody<State: Encodable & Sendable>: Encodable, Sendable {
    var asOfPosition: Int64
    var asOf: String
    var state: State
}
