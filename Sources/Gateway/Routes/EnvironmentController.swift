import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import Projections

/// Environments: create, configure, list, get, their releases, and an environment as it was at
/// a past instant. Each is scoped to what the token may see: another's is not found.
struct EnvironmentController: Sendable {
    let reader: ProjectionReader
    let store: EventStore
    let service: DeploymentService
    let keys: IdempotencyKeys

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/environments", use: list)
        routes.post("/environments", use: create)
        routes.get("/environments/:id", use: show)
        routes.patch("/environments/:id", use: configure)
        // The project's parameter is named as on the other /projects/ routes (the router needs one name per segment).
        routes.patch("/projects/:id/environments/:env_id", use: configureInProject)
        routes.get("/environments/:id/releases", use: releases)
        routes.get("/environments/:id/history", use: history)
        routes.get("/environments/:id/protection", use: protection)
        routes.put("/environments/:id/protection", use: protect)
        routes.get("/environments/:id/freeze-windows", use: freezeWindows)
        routes.put("/environments/:id/freeze-windows", use: freezeEnvironment)
        routes.post("/environments/:id/schedules", use: schedule)
        routes.delete("/environments/:id/schedules/:schedule_id", use: unschedule)
        routes.put("/projects/:id/freeze-windows", use: freezeProject)
        return routes
    }

    /// `GET /environments?project_id=`.
    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.listDeployments)
        try await reader.awaitPosition(nil, of: ["environments"], store: store)
        let asked = request.uri.queryParameters["project_id"].map(String.init)
        if let only = principal.project, let asked, asked != only { return try JSONResponse.encode([EnvironmentBody](), status: .ok) }
        let environments = try await reader.environments(organisation: principal.organisation, project: principal.project ?? asked)
        let position = try await reader.position(of: "environments")
        return try JSONResponse.encode(environments.map { EnvironmentBody($0, position: position) }, status: .ok)
    }

    /// `GET /environments/{id}`.
    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> Response {
        let state = try await visible(try context.parameters.require("id"), to: try context.require(.listDeployments))
        return try JSONResponse.encode(EnvironmentBody(state, position: try await reader.position(of: "environments")), status: .ok)
    }

    /// `GET /environments/{id}/releases`: newest first.
    @Sendable func releases(_ request: Request, context: GatewayContext) async throws -> Response {
        let state = try await visible(try context.parameters.require("id"), to: try context.require(.listDeployments))
        return try JSONResponse.encode(state.releases.reversed().map(ReleaseBody.init), status: .ok)
    }

    /// `GET /environments/{id}/history?at=`: the environment as it was then.
    @Sendable func history(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewDeployments)
        let point = try HistoryQuery.point(request.uri.queryParameters)
        let id = try context.parameters.require("id")
        guard let now = try await service.environment(id, at: .now), principal.sees(organisation: now.state.organisationID, project: now.state.projectID)
        else { throw APIError.notFound("no environment '\(id)'") }
        guard let then = try await service.environment(id, at: point) else { throw APIError.notFound("environment '\(id)' did not exist then") }
        let body = HistoryBody(
            asOfPosition: then.position, asOf: Timestamps.format(then.recordedAtMicroseconds), state: EnvironmentBody(then.state, position: then.position))
        return try JSONResponse.encode(body, status: .ok)
    }

    /// `POST /environments`: configured at once when the body carries a configuration.
    @Sendable func create(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageEnvironments)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(EnvironmentRequest.self, raw, of: request)
        // Checked before the command context records an idempotency key.
        let changes = try body.configuration?.changes()
        let configuration = try changes.map { changes in
            let applied = try changes.applied(to: nil)
            return body.type.map { $0.withDefaults(applied, unless: changes) } ?? applied
        }
        let outcome = try await service.createEnvironment(
            id: body.id, project: body.projectID, name: body.name ?? body.id, configuration: configuration, type: body.type,
            context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answer(body.id, after: outcome, status: .created)
    }

    /// `PATCH /environments/{id}`.
    @Sendable func configure(_ request: Request, context: GatewayContext) async throws -> Response {
        try await configure(try context.parameters.require("id"), inProject: nil, request, context)
    }

    /// `PATCH /projects/{project_id}/environments/{env_id}` (the seed's path): another project's environment is not found there.
    @Sendable func configureInProject(_ request: Request, context: GatewayContext) async throws -> Response {
        try await configure(try context.parameters.require("env_id"), inProject: try context.parameters.require("id"), request, context)
    }

    /// Changes some settings of environment `id`; what the body leaves out keeps its value.
    private func configure(_ id: String, inProject project: String?, _ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageEnvironments)
        let raw = try await RequestBody.read(request)
        let changes = try RequestBody.decode(ConfigurationRequest.self, raw, of: request).changes()
        if let project, try await service.environment(id)?.projectID != project { throw APIError.notFound("no environment '\(id)'") }
        let outcome = try await service.configureEnvironment(
            id, changes: changes, context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answer(id, after: outcome, status: .ok)
    }

    /// Environment `id` as the projection has it once it holds `outcome`'s write (and, when the
    /// write voided waiting deployments' approvals, once the deployments' read model holds that too).
    private func answer(_ id: String, after outcome: DeploymentService.Outcome, status: HTTPResponse.Status) async throws -> Response {
        let touchedDeployments = outcome.decision.writes.contains { $0.streamID.rawValue.hasPrefix("deployment-") }
        try await reader.awaitPosition(outcome.position, of: touchedDeployments ? ["environments", "deployments"] : ["environments"], store: store)
        guard let state = try await reader.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
        return try JSONResponse.encode(EnvironmentBody(state, position: try await reader.position(of: "environments")), status: status)
    }

    /// Environment `id` if this principal may see it (404 otherwise, as if it did not exist).
    func visible(_ id: String, to principal: Principal) async throws -> EnvironmentState {
        try await reader.awaitPosition(nil, of: ["environments"], store: store)
        guard let state = try await reader.environment(id), principal.sees(organisation: state.organisationID, project: state.projectID) else {
            throw APIError.notFound("no environment '\(id)'")
        }
        return state
    }
}
