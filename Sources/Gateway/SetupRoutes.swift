import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Projections

/// Organisations, projects and environments: create, configure, list, get.
extension GatewayServer {
    func addSetupRoutes(to api: RouterGroup<GatewayContext>) {
        let reader = reader, store = store, logger = logger, timeout = requestTimeout
        let service = DeploymentService(store: store, source: "api")
        let keys = IdempotencyKeys(client: reader.client, logger: logger)

        api.post("/organizations") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.administer)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(OrganizationRequest.self, raw, of: request)
                try await service.createOrganisation(
                    id: body.id, name: body.name ?? body.id, quota: body.quota?.resources,
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                guard let state = try await service.organisation(body.id) else { throw APIError.notFound("no organization '\(body.id)'") }
                return try JSONResponse.encode(OrganizationBody(state), status: .created)
            }
        }
        api.get("/organizations/:id") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                let id = context.parameters.get("id") ?? ""
                guard principal.sees(organisation: id), let state = try await service.organisation(id) else { throw APIError.notFound("no organization '\(id)'") }
                return try JSONResponse.encode(OrganizationBody(state), status: .ok)
            }
        }
        api.post("/projects") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageProjects)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(ProjectRequest.self, raw, of: request)
                try await service.createProject(
                    id: body.id, organisation: body.organizationID, name: body.name ?? body.id, repository: body.repository,
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                guard let state = try await service.project(body.id) else { throw APIError.notFound("no project '\(body.id)'") }
                return try JSONResponse.encode(ProjectBody(state), status: .created)
            }
        }
        api.get("/projects/:id") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                let id = context.parameters.get("id") ?? ""
                guard let state = try await service.project(id), principal.sees(organisation: state.organisationID, project: state.projectID) else {
                    throw APIError.notFound("no project '\(id)'")
                }
                return try JSONResponse.encode(ProjectBody(state), status: .ok)
            }
        }
        api.put("/projects/:id/webhook-secret") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageEnvironments)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(WebhookSecretRequest.self, raw, of: request)
                let id = context.parameters.get("id") ?? ""
                try await WebhookSecrets(service: service, client: reader.client, logger: logger).set(
                    project: id, secret: body.secret, context: try await context.commandContext(principal, request, body: raw, keys: keys))
                // The secret is never sent back.
                return try JSONResponse.encode(WebhookSecretAnswer(projectID: id), status: .ok)
            }
        }
        api.post("/environments") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageEnvironments)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(EnvironmentRequest.self, raw, of: request)
                let changes = try body.configuration?.changes()
                let outcome = try await service.createEnvironment(
                    id: body.id, project: body.projectID, name: body.name ?? body.id,
                    configuration: try changes.map { try $0.applied(to: nil) },
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                try await reader.awaitPosition(outcome.position, of: ["environments"], store: store)
                guard let state = try await reader.environment(body.id) else { throw APIError.notFound("no environment '\(body.id)'") }
                return try JSONResponse.encode(EnvironmentBody(state, position: try await reader.position(of: "environments")), status: .created)
            }
        }
        /// Changes some settings of environment `id` — in `project`, when the path names one
        /// (the seed's `PATCH /projects/{project_id}/environments/{env_id}`; another project's
        /// environment is not found there).
        @Sendable func configure(_ id: String, inProject project: String?, _ request: Request, _ context: GatewayContext) async -> Response {
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageEnvironments)
                let raw = try await RequestBody.read(request)
                let changes = try RequestBody.decode(ConfigurationRequest.self, raw, of: request).changes()
                if let project, try await service.environment(id)?.projectID != project { throw APIError.notFound("no environment '\(id)'") }
                let outcome = try await service.configureEnvironment(
                    id, changes: changes, context: try await context.commandContext(principal, request, body: raw, keys: keys))
                try await reader.awaitPosition(outcome.position, of: ["environments"], store: store)
                guard let state = try await reader.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
                return try JSONResponse.encode(EnvironmentBody(state, position: try await reader.position(of: "environments")), status: .ok)
            }
        }
        api.patch("/environments/:id") { request, context in
            await configure(context.parameters.get("id") ?? "", inProject: nil, request, context)
        }
        // The project's parameter is named as on the other /projects/ routes (the router needs one name per segment).
        api.patch("/projects/:id/environments/:env_id") { request, context in
            await configure(context.parameters.get("env_id") ?? "", inProject: context.parameters.get("id") ?? "", request, context)
        }
    }
}

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

    enum CodingKeys: String, CodingKey {
        case cpuMillicores = "cpu_millicores"
        case memoryMB = "memory_mb"
        case diskGB = "disk_gb"
    }

    var resources: Resources { Resources(cpuMillicores: cpuMillicores ?? 0, memoryMB: memoryMB ?? 0, diskGB: diskGB ?? 0) }
}

/// `POST /api/v1/projects`.
struct ProjectRequest: Decodable, Sendable {
    var id: String
    var organizationID: String
    var name: String?
    var repository: String?

    enum CodingKeys: String, CodingKey {
        case id, name, repository
        case organizationID = "organization_id"
    }
}

/// `POST /api/v1/environments`: configured at once when `configuration` (with a host) is given.
struct EnvironmentRequest: Decodable, Sendable {
    var id: String
    var projectID: String
    var name: String?
    var configuration: ConfigurationRequest?

    enum CodingKeys: String, CodingKey {
        case id, name, configuration
        case projectID = "project_id"
    }
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

    enum CodingKeys: String, CodingKey {
        case host, pipeline, branch, server, settings
        case gitBranch = "git_branch"
        case sshUser = "ssh_user"
        case sshPort = "ssh_port"
        case cpuMillicores = "cpu_millicores"
        case memoryMB = "memory_mb"
        case diskGB = "disk_gb"
        case autoDeploy = "auto_deploy"
    }

    func changes() throws -> ConfigurationChanges {
        if let branch, let gitBranch, branch != gitBranch {
            throw APIError(.unprocessableContent, "invalid", "branch and git_branch name the same setting; they differ ('\(branch)', '\(gitBranch)')")
        }
        return ConfigurationChanges(
            host: host, sshUser: sshUser, sshPort: sshPort,
            pipeline: try pipeline.map(DeploymentStep.pipeline),
            cpuMillicores: cpuMillicores, memoryMB: memoryMB, diskGB: diskGB, branch: branch ?? gitBranch, autoDeploy: autoDeploy,
            server: server, settings: settings)
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

    enum CodingKeys: String, CodingKey {
        case id, name, repository
        case organizationID = "organization_id"
    }

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

    enum CodingKeys: String, CodingKey {
        case projectID = "project_id"
        case webhookSecretSet = "webhook_secret_set"
    }
}
