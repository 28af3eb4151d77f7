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
        let principal = try context.require(.deploy)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(DeployRequest.self, raw, of: request)
        try await limiter.admit(.deployments, organisation: principal.organisation)
        let outcome = try await service.deploy(
            environment: body.environmentID, inProject: body.projectID, git: body.git, trigger: body.trigger ?? .manual, force: body.force ?? false,
            context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answers.written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
    }

    /// `POST /environments/{id}/deploy`: the branch defaults to the one the environment tracks.
    @Sendable func deployEnvironment(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.deploy)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(EnvironmentDeployRequest.self, raw, of: request, allowEmpty: true)
        let id = try context.parameters.require("id")
        try await limiter.admit(.deployments, organisation: principal.organisation)
        let outcome = try await service.deploy(
            environment: id, git: body.git, trackedBranchIfUnnamed: true, trigger: .manual, force: body.force ?? false,
            context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answers.written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
    }

    /// `POST /deployments/{id}/retry`: the same commit again, as a new deployment.
    @Sendable func retry(_ request: Request, context: GatewayContext) async throws -> Response {
        try await redeploying(request, context) { id, command in try await service.retry(id, context: command) }
    }

    /// `POST /deployments/{id}/rollback`: back to that deployment's release.
    @Sendable func rollback(_ request: Request, context: GatewayContext) async throws -> Response {
        try await redeploying(request, context) { id, command in try await service.rollback(to: id, context: command) }
    }

    /// A new deployment made from deployment `{id}` by `command`, answered 200 with it (as the seed does).
    private func redeploying(
        _ request: Request, _ context: GatewayContext, _ command: (String, CommandContext) async throws -> DeploymentService.Outcome
    ) async throws -> Response {
        let principal = try context.require(.deploy)
        let raw = try await RequestBody.read(request)
        try await limiter.admit(.deployments, organisation: principal.organisation)
        let outcome = try await command(try context.parameters.require("id"), try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answers.written(outcome.deploymentID, by: outcome, status: .ok)
    }

    /// `POST /deployments/{id}/cancel`, with an optional reason.
    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.cancelDeployments)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(CancelRequest.self, raw, of: request, allowEmpty: true)
        let id = try context.parameters.require("id")
        try await limiter.admit(.deployments, organisation: principal.organisation)
        let outcome = try await service.cancel(id, reason: body.reason, context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try await answers.written(id, by: outcome, status: .ok)
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
