import Ledger

/// A role an API token is given, from the seed platform's hierarchy: each one may do everything
/// the roles below it may, within its scope (all organisations, one organisation, one project).
public enum Role: String, Sendable, Codable, CaseIterable {
    case portalAdmin = "portal_admin"
    case orgOwner = "org_owner"
    case orgAdmin = "org_admin"
    case orgMember = "org_member"
    case projectAdmin = "project_admin"
    case projectMember = "project_member"

    /// Whether the role is bound to one project (a token with it must name the project).
    public var isProjectRole: Bool { self == .projectAdmin || self == .projectMember }

    /// What the role may do (looked up: every API request asks).
    public var permissions: Set<Permission> { Self.granted[self] ?? [] }

    private static let granted = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.grants) })

    private var grants: Set<Permission> {
        switch self {
        case .portalAdmin: Set(Permission.allCases)
        case .orgOwner: Role.orgAdmin.grants.union([.manageTokens])
        case .orgAdmin:
            Role.projectAdmin.grants.union([
                .manageProjects, .viewAudit, .viewQuota, .manageServers, .managePipelines, .deployProtected, .protectEnvironments, .overrideFreeze,
            ])
        case .orgMember: [.listDeployments, .viewDeployments, .viewQuota]
        case .projectAdmin: Role.projectMember.grants.union([.deploy, .cancelDeployments, .manageEnvironments, .approveDeployments])
        case .projectMember: [.listDeployments, .viewDeployments]
        }
    }
}

/// A permission code, as the seed platform names them.
public enum Permission: String, Sendable, Codable, CaseIterable {
    /// Deploy, redeploy, retry, roll back and destroy.
    case deploy = "project.environments.deploy"
    case cancelDeployments = "project.deployments.cancel"
    /// Approve or reject a deployment that waits for approval (where the rules make one eligible).
    case approveDeployments = "project.deployments.approve"
    /// Deploy to an environment whose protection rules demand it (the seed's production permission).
    case deployProtected = "project.production.deploy"
    /// Deploy through a freeze window (break-glass), giving a reason.
    case overrideFreeze = "project.freeze.override"
    /// Set or remove an environment's protection rules and freeze windows.
    case protectEnvironments = "org.environments.protect"
    case listDeployments = "project.deployments.list"
    /// A deployment's details, progress and logs.
    case viewDeployments = "project.deployments.view"
    case manageEnvironments = "project.environments.manage"
    case manageProjects = "org.projects.manage"
    case manageServers = "org.servers.manage"
    /// Change an environment's settings that are code: its commands, URLs and paths, its
    /// pipeline, and the host or server it runs on.
    case managePipelines = "org.pipelines.manage"
    case viewQuota = "org.quota.view"
    case viewAudit = "org.audit.view"
    case manageTokens = "org.tokens.manage"
    /// Whole-ledger operations: integrity checks, organisations.
    case administer = "portal.admin"
}
