import Foundation
import Ledger

/// The commands of governed change: protection rules per environment, and approving or
/// rejecting a deployment that waits for approval. Each one load → decide → append, like the
/// other commands; the approver is the context's person (``CommandContext/approver``).
extension DeploymentService {
    /// Sets (or with nil removes) an environment's protection rules.
    @discardableResult
    public func protect(environment id: String, rules: ProtectionRules?, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let environment = try await environment(id)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            return Decided(
                try ProtectionDecisions.protect(environment, rules: rules), organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// Approves a waiting deployment; the approval that completes the number required releases it.
    @discardableResult
    public func approve(_ deploymentID: String, comment: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let deployment = try await deployment(deploymentID)
            try context.requireInScope(organisation: deployment?.organisationID, project: deployment?.projectID, what: "deployment")
            let environment: EnvironmentState? = if let deployment { try await environment(deployment.environmentID) } else { nil }
            let pipelines = try await pipelineCatalog()
            let configuration = deployment.flatMap { deployment in
                environment.map { ApprovalDecisions.current(deployment, environment: $0, pipelines: pipelines).1 }
            }
            return Decided(
                try ApprovalDecisions.approve(
                    deployment, environment: environment, approver: context.approver, comment: comment,
                    nowMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000),
                    organisation: try await quotaOrganisation(of: environment, deploying: configuration),
                    server: try await capacityServer(of: environment, deploying: configuration), pipelines: pipelines),
                organisation: deployment?.organisationID, project: deployment?.projectID)
        }
    }

    /// Rejects a waiting deployment: it ends without running.
    @discardableResult
    public func reject(_ deploymentID: String, comment: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let deployment = try await deployment(deploymentID)
            try context.requireInScope(organisation: deployment?.organisationID, project: deployment?.projectID, what: "deployment")
            return Decided(
                try ApprovalDecisions.reject(deployment, approver: context.approver, comment: comment),
                organisation: deployment?.organisationID, project: deployment?.projectID)
        }
    }

    /// The deployments waiting for approval on `environment` that run its configuration.
    func waitingOnConfiguration(of environment: EnvironmentState) async throws -> [DeploymentState] {
        var waiting: [DeploymentState] = []
        for entry in environment.awaitingApproval where entry.followsConfiguration {
            if let deployment = try await deployment(entry.deploymentID) { waiting.append(deployment) }
        }
        return waiting
    }
}
