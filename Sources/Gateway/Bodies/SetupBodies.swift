import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain

/// `POST /api/v1/organizations`.
struct OrganizationRequest: Decodable, Sendable {
    var id: String
    var name: String?
    var quota: ResourcesRequest?
}

/// CPU, RAM and disk in a request (0 or absent: unlimited).
struct ResourcesRequest: Decodable, Sendable {
    var cpuMillicores: Int?
    var memoryMB: Int?
    var diskGB: Int?

    var resources: Resources { Resources(cpuMillicores: cpuMillicores ?? 0, memoryMB: memoryMB ?? 0, diskGB: diskGB ?? 0) }
}

/// `POST /api/v1/projects`.
struct ProjectRequest: Decodable, Sendable {
    var id: String
    var organizationID: String
    var name: String?
    var repository: String?
}

/// `POST /api/v1/environments`: configured at once when `configuration` (with a host) is given.
struct EnvironmentRequest: Decodable, Sendable {
    var id: String
    var projectID: String
    var name: String?
    var configuration: ConfigurationRequest?
    /// production, staging, development or testing: sets the automation defaults.
    var type: EnvironmentType?
}

/// The settings to set; what is absent keeps its value (`PATCH /api/v1/environments/{id}`).
struct ConfigurationRequest: Decodable, Sendable {
    var host: String?
    var sshUser: String?
    var sshPort: Int?
    var pipeline: [String]?
    var cpuMillicores: Int?
    var memoryMB: Int?
    var diskGB: Int?
    var branch: String?
    /// The seed's name for `branch`.
    var gitBranch: String?
    var autoDeploy: Bool?
    var server: String?
    var settings: [String: String]?
    var autoDelete: Bool?
    var pushAutomation: Bool?

    func changes() throws -> ConfigurationChanges {
        if let branch, let gitBranch, branch != gitBranch {
            throw APIError(.unprocessableContent, "invalid", "branch and git_branch name the same setting; they differ ('\(branch)', '\(gitBranch)')")
        }
        return ConfigurationChanges(
            host: host, sshUser: sshUser, sshPort: sshPort,
            pipeline: try pipeline.map(DeploymentStep.pipeline),
            cpuMillicores: cpuMillicores, memoryMB: memoryMB, diskGB: diskGB, branch: branch ?? gitBranch, autoDeploy: autoDeploy,
            server: server, settings: settings, autoDelete: autoDelete, pushAutomation: pushAutomation)
    }
}

/// An organisation as the API shows it.
struct OrganizationBody: Encodable, Sendable {
    var id: String
    var name: String
    var quota: ResourcesBody?
    var used: ResourcesBody

    init(_ state: OrganisationState) {
        id = state.organisationID
        name = state.name
        quota = state.quota.map(ResourcesBody.init)
        used = ResourcesBody(state.used)
    }
}

/// A project as the API shows it.
struct ProjectBody: Encodable, Sendable {
    var id: String
    var organizationID: String
    var name: String
    var repository: String?

    init(_ state: ProjectState) {
        id = state.projectID
        organizationID = state.organisationID
        name = state.name
        repository = state.repository
    }
}

/// The body of `PUT /api/v1/projects/{id}/webhook-secret`.
struct WebhookSecretRequest: Decodable {
    var secret: String
}

/// The answer to setting a webhook secret: that it is set, never what it is.
struct WebhookSecretAnswer: Encodable {
    var projectID: String
    var webhookSecretSet = true

}
