import Hummingbird
import Ledger
import LedgerAccess
import LedgerDomain

/// An environment's protection rules: read by whoever may see the environment, set only with
/// `org.environments.protect` (a project admin may deploy there, not loosen its rules).
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
}
