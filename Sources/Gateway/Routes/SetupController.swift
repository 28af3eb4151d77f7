import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore
import Projections

/// Organisations (create, get, quota) and projects (create, get, their webhook secret).
struct SetupController: Sendable {
    let reader: ProjectionReader
    let store: EventStore
    let service: DeploymentService
    let keys: IdempotencyKeys
    let secrets: WebhookSecrets

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.post("/organizations", use: createOrganization)
        routes.get("/organizations/:id", use: organization)
        routes.get("/organizations/:id/quota", use: quota)
        routes.post("/projects", use: createProject)
        routes.get("/projects/:id", use: project)
        routes.put("/projects/:id/webhook-secret", use: setWebhookSecret)
        return routes
    }

    /// `POST /organizations` (portal admins).
    @Sendable func createOrganization(_ request: Request, context: GatewayContext) async throws -> Response {
        let write = try await context.write(.administer, request, body: OrganizationRequest.self, keys: keys)
        let body = write.body
        try await service.createOrganisation(id: body.id, name: body.name ?? body.id, quota: body.quota?.resources, context: write.context)
        guard let state = try await service.organisation(body.id) else { throw APIError.notFound("no organization '\(body.id)'") }
        return try JSONResponse.encode(OrganizationBody(state), status: .created)
    }

    /// `GET /organizations/{id}`.
    @Sendable func organization(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.listDeployments)
        let id = try context.parameters.require("id")
        guard principal.sees(organisation: id), let state = try await service.organisation(id) else { throw APIError.notFound("no organization '\(id)'") }
        return try JSONResponse.encode(OrganizationBody(state), status: .ok)
    }

    /// `GET /organizations/{id}/quota`: its limits and what its environments use.
    @Sendable func quota(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewQuota)
        let id = try context.parameters.require("id")
        guard principal.sees(organisation: id), try await service.organisation(id) != nil else { throw APIError.notFound("no organization '\(id)'") }
        try await reader.awaitPosition(nil, of: ["quota"], store: store)
        return try JSONResponse.encode(QuotaBody(try await reader.quota(organisation: id), position: try await reader.position(of: "quota")), status: .ok)
    }

    /// `POST /projects`.
    @Sendable func createProject(_ request: Request, context: GatewayContext) async throws -> Response {
        let write = try await context.write(.manageProjects, request, body: ProjectRequest.self, keys: keys)
        let body = write.body
        try await service.createProject(
            id: body.id, organisation: body.organizationID, name: body.name ?? body.id, repository: body.repository, context: write.context)
        guard let state = try await service.project(body.id) else { throw APIError.notFound("no project '\(body.id)'") }
        return try JSONResponse.encode(ProjectBody(state), status: .created)
    }

    /// `GET /projects/{id}`.
    @Sendable func project(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.listDeployments)
        let id = try context.parameters.require("id")
        guard let state = try await service.project(id), principal.sees(organisation: state.organisationID, project: state.projectID) else {
            throw APIError.notFound("no project '\(id)'")
        }
        return try JSONResponse.encode(ProjectBody(state), status: .ok)
    }

    /// `PUT /projects/{id}/webhook-secret`: the secret is never sent back.
    @Sendable func setWebhookSecret(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.manageEnvironments, request, body: WebhookSecretRequest.self, keys: keys)
        try await secrets.set(project: id, secret: write.body.secret, context: write.context)
        return try JSONResponse.encode(WebhookSecretAnswer(projectID: id), status: .ok)
    }
}
