import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore

/// The deployment commands: each checks the token's permission, reads and checks its body,
/// admits the request under the organisation's rate limit, and has `DeploymentService` decide —
/// the service checks the scope, once, from the command context.
extension DeploymentController {
    /// `POST /deployments`.
    @Sendable func deploy(_ request: Request, context: GatewayContext) async throws -> Response {
        let write = try await context.write(.deploy, request, body: DeployRequest.self, keys: keys, admit: admitCommand)
        let body = write.body
        let outcome = try await service.deploy(
            environment: body.environmentID, inProject: body.projectID, git: body.git, trigger: body.trigger ?? .manual, force: body.force ?? false,
            breakGlass: body.breakGlassReason, context: write.context)
        return try await answers.written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
    }

    /// `POST /environments/{id}/deploy`: the branch defaults to the one the environment tracks.
    @Sendable func deployEnvironment(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.deploy, request, body: EnvironmentDeployRequest.self, allowEmpty: true, keys: keys, admit: admitCommand)
        let outcome = try await service.deploy(
            environment: id, git: write.body.git, trackedBranchIfUnnamed: true, trigger: .manual, force: write.body.force ?? false,
            breakGlass: write.body.breakGlassReason, context: write.context)
        return try await answers.written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
    }

    /// `POST /deployments/{id}/retry`: the same commit again, as a new deployment (200, as the seed answers).
    @Sendable func retry(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.deploy, request, body: BreakGlassRequest.self, allowEmpty: true, keys: keys, admit: admitCommand)
        let outcome = try await service.retry(id, breakGlass: write.body.breakGlassReason, context: write.context)
        return try await answers.written(outcome.deploymentID, by: outcome, status: .ok)
    }

    /// `POST /deployments/{id}/rollback`: back to that deployment's release (200, as the seed answers).
    @Sendable func rollback(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.deploy, request, body: BreakGlassRequest.self, allowEmpty: true, keys: keys, admit: admitCommand)
        let outcome = try await service.rollback(to: id, breakGlass: write.body.breakGlassReason, context: write.context)
        return try await answers.written(outcome.deploymentID, by: outcome, status: .ok)
    }

    /// `POST /deployments/{id}/cancel`, with an optional reason.
    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.cancelDeployments, request, body: CancelRequest.self, allowEmpty: true, keys: keys, admit: admitCommand)
        let outcome = try await service.cancel(id, reason: write.body.reason, context: write.context)
        return try await answers.written(id, by: outcome, status: .ok)
    }

    /// Every deployment command counts against its organisation's rate limit.
    func admitCommand(_ principal: Principal) async throws {
        try await limiter.admit(.deployments, organisation: principal.organisation)
    }

    /// `DELETE /deployments/environment/{id}/destroy?delete_data=`.
    @Sendable func destroy(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.deploy)
        let deleteData = try BooleanQuery.value(request.uri.queryParameters["delete_data"], name: "delete_data") ?? false
        try await limiter.admit(.deployments, organisation: principal.organisation)
        let outcome = try await service.destroy(
            environment: try context.parameters.require("id"), deleteData: deleteData,
            context: try await context.commandContext(principal, request, body: ByteBuffer(string: request.uri.description), keys: keys))
        return try await answers.written(outcome.deploymentID, by: outcome, status: .ok)
    }
}
