import Hummingbird
import Ledger
import LedgerAccess
import LedgerDomain

/// Approving or rejecting a deployment that waits for approval. The approver is the person
/// behind the token (its user), checked by the decision: never the requester, only an eligible
/// reviewer. Both count against the organisation's rate limit of deployment commands.
extension DeploymentController {
    /// `POST /deployments/{id}/approve`: the deployment after the approval (released when it was
    /// the last one needed).
    @Sendable func approve(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.approveDeployments, request, body: ApprovalRequest.self, keys: keys, admit: admitCommand)
        let outcome = try await service.approve(id, comment: write.body.comment, context: write.context)
        return try await answers.written(id, by: outcome, status: .ok)
    }

    /// `POST /deployments/{id}/reject`: the deployment, ended as `rejected`.
    @Sendable func reject(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let write = try await context.write(.approveDeployments, request, body: ApprovalRequest.self, keys: keys, admit: admitCommand)
        let outcome = try await service.reject(id, comment: write.body.comment, context: write.context)
        return try await answers.written(id, by: outcome, status: .ok)
    }
}
