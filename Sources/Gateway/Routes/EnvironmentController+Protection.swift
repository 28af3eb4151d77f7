import Hummingbird
import Ledger
import LedgerAccess
import LedgerDomain

/// An environment's protection rules and freeze windows (and a project's freeze windows): read
/// by whoever may see the environment, set only with `org.environments.protect` (a project admin
/// may deploy there, not loosen its rules).
extension EnvironmentController {
    /// `GET /environments/{id}/protection`.
    @Sendable func protection(_ request: Request, context: GatewayContext) async throws -> Response {
        let state = try await visible(try context.parameters.require("id"), to: try context.require(.listDeployments))
        return try JSONResponse.encode(ProtectionBody(environmentID: state.environmentID, state.protection), status: .ok)
    }

    /// `PUT /environments/{id}/protection`: sets the rules (rules that demand nothing remove them).
    @Sendable func protect(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.protectEnvironments, request, body: ProtectionRequest.self, keys: keys)
        try await service.protect(environment: id, rules: write.body.rules, context: write.context)
        guard let state = try await service.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
        return try JSONResponse.encode(ProtectionBody(environmentID: id, state.protection), status: .ok)
    }

    /// `POST /environments/{id}/schedules`: adds (or replaces) a scheduled deployment; 201 and the environment.
    @Sendable func schedule(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.deploy, request, body: ScheduleRequest.self, keys: keys)
        let body = write.body
        try await service.schedule(
            body.id, environment: id, git: body.git, at: try body.instant(), cron: body.schedule?.cron, timeZone: body.schedule?.timezone,
            inFreeze: body.inFreeze ?? .wait, enabled: body.schedule?.enabled ?? body.enabled ?? true, context: write.context)
        guard let state = try await service.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
        return try JSONResponse.encode(state.schedules.map { ScheduleBody($0) }, status: .created)
    }

    /// `DELETE /environments/{id}/schedules/{schedule_id}`.
    @Sendable func unschedule(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.deploy, request, keys: keys)
        try await service.unschedule(try context.parameters.require("schedule_id"), environment: id, context: write.context)
        guard let state = try await service.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
        return try JSONResponse.encode(state.schedules.map { ScheduleBody($0) }, status: .ok)
    }

    /// `GET /environments/{id}/freeze-windows`: its own and its project's, and which are in force now.
    @Sendable func freezeWindows(_ request: Request, context: GatewayContext) async throws -> Response {
        let state = try await visible(try context.parameters.require("id"), to: try context.require(.listDeployments))
        let project = try await service.project(state.projectID)
        return try JSONResponse.encode(
            FreezeWindowsBody(scope: "environment", targetID: state.environmentID, state.freezeWindows, projectWindows: project?.freezeWindows ?? []),
            status: .ok)
    }

    /// `PUT /environments/{id}/freeze-windows`.
    @Sendable func freezeEnvironment(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.protectEnvironments, request, body: FreezeWindowsRequest.self, keys: keys)
        try await service.setFreezeWindows(try write.body.windows.map { try $0.window() }, environment: id, context: write.context)
        guard let state = try await service.environment(id) else { throw APIError.notFound("no environment '\(id)'") }
        return try JSONResponse.encode(FreezeWindowsBody(scope: "environment", targetID: id, state.freezeWindows), status: .ok)
    }

    /// `PUT /projects/{id}/freeze-windows`.
    @Sendable func freezeProject(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.protectEnvironments, request, body: FreezeWindowsRequest.self, keys: keys)
        try await service.setFreezeWindows(try write.body.windows.map { try $0.window() }, project: id, context: write.context)
        guard let state = try await service.project(id) else { throw APIError.notFound("no project '\(id)'") }
        return try JSONResponse.encode(FreezeWindowsBody(scope: "project", targetID: id, state.freezeWindows), status: .ok)
    }
}
