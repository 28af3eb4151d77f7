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
            let upstream: EnvironmentState? = if let named = rules?.upstream { try await self.environment(named) } else { nil }
            return Decided(
                try ProtectionDecisions.protect(environment, rules: rules, upstream: upstream), organisation: environment?.organisationID,
                project: environment?.projectID)
        }
    }

    /// Approves a waiting deployment; the approval that completes the number required releases it.
    @discardableResult
    public func approve(_ deploymentID: String, comment: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let deployment = try await deployment(deploymentID)
            try context.requireInScope(organisation: deployment?.organisationID, project: deployment?.projectID, what: "deployment")
            let environment: EnvironmentState? = if let deployment { try await environment(deployment.environmentID) } else { nil }
            let (pipelines, organisation, server) = try await releaseInputs(deployment, on: environment)
            return Decided(
                try ApprovalDecisions.approve(
                    deployment, environment: environment, approver: context.approver, comment: comment,
                    governance: try await governance(for: environment), organisation: organisation, server: server, pipelines: pipelines),
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

    /// Sets the freeze windows of an environment.
    @discardableResult
    public func setFreezeWindows(_ windows: [FreezeWindow], environment id: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let environment = try await environment(id)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            return Decided(
                try ProtectionDecisions.setFreezeWindows(windows, environment: environment, project: nil, ofProject: false),
                organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// Sets the freeze windows that apply to every environment of a project.
    @discardableResult
    public func setFreezeWindows(_ windows: [FreezeWindow], project id: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let project = try await project(id)
            try context.requireInScope(organisation: project?.organisationID, project: id, what: "project")
            return Decided(
                try ProtectionDecisions.setFreezeWindows(windows, environment: nil, project: project, ofProject: true),
                organisation: project?.organisationID, project: id)
        }
    }

    /// Releases the deployments waiting on `environmentID` whose approvals stand and whose wait
    /// timer has run out at `now` (the scheduler asks as time passes). Returns those released.
    @discardableResult
    public func releaseDue(environment environmentID: String, now: Int64) async throws -> [String] {
        guard let environment = try await environment(environmentID) else { return [] }
        var released: [String] = []
        for entry in environment.awaitingApproval {
            // A cheap look first: most waiting deployments lack approvals, and are left alone
            // without loading what a release needs (every few seconds, for each of them).
            guard let waiting = try await deployment(entry.deploymentID)?.approval,
                waiting.standing(at: now).count >= waiting.requiredApprovals, (waiting.notBeforeMicroseconds ?? 0) <= now
            else { continue }
            let context = CommandContext(actor: "scheduler", source: "scheduler", scope: .init(organisation: environment.organisationID, project: environment.projectID))
            let outcome = try await execute(context) {
                let deployment = try await deployment(entry.deploymentID)
                let environment = try await self.environment(environmentID)
                let (pipelines, organisation, server) = try await releaseInputs(deployment, on: environment)
                return Decided(
                    try ApprovalDecisions.releaseIfDue(
                        deployment, environment: environment, governance: try await governance(for: environment, now: now),
                        organisation: organisation, server: server, pipelines: pipelines),
                    organisation: environment?.organisationID, project: environment?.projectID)
            }
            let granted = outcome.decision.writes.flatMap(\.events).contains {
                if case .deploymentApprovalGranted = $0 { return true }
                return false
            }
            if granted { released.append(entry.deploymentID) }
        }
        return released
    }

    /// What releasing `deployment` on `environment` needs beyond them: the published pipelines
    /// (what it would run), and the organisation and server whose limits its configuration must
    /// fit (loaded only when it can change the allocation, as for a deploy).
    private func releaseInputs(
        _ deployment: DeploymentState?, on environment: EnvironmentState?
    ) async throws -> (PipelineCatalog, OrganisationState?, ServerState?) {
        let pipelines = try await pipelineCatalog()
        let configuration = deployment.flatMap { deployment in
            environment.map { ApprovalDecisions.current(deployment, environment: $0, pipelines: pipelines).1 }
        }
        return (
            pipelines, try await quotaOrganisation(of: environment, deploying: configuration),
            try await capacityServer(of: environment, deploying: configuration)
        )
    }

    /// What the governance checks of a deployment on `environment` need at `now` (default: the
    /// clock): the instant, the upstream environment its rules name, and its project's freezes.
    func governance(for environment: EnvironmentState?, now: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)) async throws -> GovernanceInputs {
        guard let environment else { return GovernanceInputs(nowMicroseconds: now) }
        let upstream: EnvironmentState? = if let named = environment.protection?.upstream { try await self.environment(named) } else { nil }
        return GovernanceInputs(nowMicroseconds: now, upstream: upstream, projectFreezes: try await project(environment.projectID)?.freezeWindows ?? [])
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
