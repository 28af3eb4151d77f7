import Ledger
import Foundation

/// The commands people give, each one load → decide → append, with the caller's context in
/// every event's metadata. The CLI and the HTTP API are two faces of these same calls.
extension DeploymentService {
    @discardableResult
    public func createOrganisation(id: String, name: String, quota: Resources? = nil, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            try context.requireInScope(organisation: id, project: nil, what: "organisation")
            return Decided(
                try SetupDecisions.createOrganisation(id: id, name: name, quota: quota, existing: try await organisation(id)),
                organisation: id, project: nil)
        }
    }

    @discardableResult
    public func createProject(
        id: String, organisation orgID: String, name: String, repository: String? = nil, context: CommandContext
    ) async throws -> Outcome {
        try await execute(context) {
            try context.requireInScope(organisation: orgID, project: nil, what: "organisation")
            return Decided(
                try SetupDecisions.createProject(
                    id: id, name: name, repository: repository, organisation: try await organisation(orgID), existing: try await project(id)),
                organisation: orgID, project: id)
        }
    }

    /// Sets (or changes) the repository a project's deployments clone.
    @discardableResult
    public func setRepository(_ repository: String, of projectID: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let project = try await project(projectID)
            try context.requireInScope(organisation: project?.organisationID, project: projectID, what: "project")
            return Decided(
                try SetupDecisions.setRepository(repository, of: project, mayChangeCode: context.mayChangeCode),
                organisation: project?.organisationID, project: projectID)
        }
    }

    @discardableResult
    public func createEnvironment(
        id: String, project projectID: String, name: String, configuration: EnvironmentConfiguration?, type: EnvironmentType? = nil,
        context: CommandContext
    ) async throws -> Outcome {
        try await execute(context) {
            let project = try await project(projectID)
            try context.requireInScope(organisation: project?.organisationID, project: projectID, what: "project")
            let configuration: EnvironmentConfiguration? = if let configuration { try await onServer(configuration) } else { nil }
            return Decided(
                try SetupDecisions.createEnvironment(
                    id: id, name: name, project: project, existing: try await environment(id), configuration: configuration,
                    organisation: try await organisationOf(project?.organisationID), server: try await serverOf(configuration?.server),
                    mayChangeCode: context.mayChangeCode, type: type),
                organisation: project?.organisationID, project: projectID)
        }
    }

    /// Sets an environment's whole configuration.
    @discardableResult
    public func configureEnvironment(_ id: String, configuration: EnvironmentConfiguration, context: CommandContext) async throws -> Outcome {
        try await configureEnvironment(id, context: context) { _ in configuration }
    }

    /// Changes some settings of an environment's configuration; the others keep their value
    /// (merged with the configuration each attempt's decision sees).
    @discardableResult
    public func configureEnvironment(_ id: String, changes: ConfigurationChanges, context: CommandContext) async throws -> Outcome {
        try await configureEnvironment(id, context: context) { try changes.applied(to: $0) }
    }

    private func configureEnvironment(
        _ id: String, context: CommandContext, _ configuration: @escaping @Sendable (EnvironmentConfiguration?) throws -> EnvironmentConfiguration
    ) async throws -> Outcome {
        try await execute(context) {
            let environment = try await environment(id)
            guard let environment else { throw CommandRejection(.notFound, "no such environment") }
            try context.requireInScope(organisation: environment.organisationID, project: environment.projectID, what: "environment")
            let next = try await onServer(try configuration(environment.configuration))
            let decision = try SetupDecisions.configureEnvironment(
                environment, configuration: next, organisation: try await organisationOf(environment.organisationID),
                server: try await serverOf(next.server), previousServer: try await serverOf(environment.configuration?.server),
                mayChangeCode: context.mayChangeCode)
            // A change voids the approvals of what waits to deploy the configuration it replaces.
            let voided = decision.writes.isEmpty ? [] : ApprovalDecisions.voidOnReconfiguration(try await waitingOnConfiguration(of: environment), configuration: next)
            return Decided(Decision(decision.writes + voided), organisation: environment.organisationID, project: environment.projectID)
        }
    }

    /// Deploys; the outcome names the new deployment.
    ///
    /// - Parameters:
    ///   - project: when given, the project the caller believes the environment is in; another is refused.
    ///   - trackedBranchIfUnnamed: a `git` that names nothing deploys the branch the environment tracks.
    ///   - now: the instant freezes and timers are checked at (default: the clock; the scheduler passes its own).
    @discardableResult
    public func deploy(
        environment id: String, inProject project: String? = nil, git: GitReference, trackedBranchIfUnnamed: Bool = false,
        trigger: DeploymentTrigger = .manual, force: Bool = false, breakGlass: String? = nil, now: Int64? = nil, context: CommandContext
    ) async throws -> Outcome {
        let request = DeploymentDecisions.Request(context, deploymentID: context.newDeploymentID(), breakGlass: breakGlass)
        return try await execute(context) {
            let environment = try await environment(id)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            if let project, let environment, environment.projectID != project {
                throw CommandRejection(.invalid, "environment \(id) is not in project \(project)")
            }
            var git = git
            if trackedBranchIfUnnamed, !git.namesSomething { git.branch = environment?.configuration?.branch }
            return Decided(
                try DeploymentDecisions.deploy(
                    environment, git: git, trigger: trigger, force: force, request: request,
                    organisation: try await quotaOrganisation(of: environment, deploying: environment?.configuration),
                    server: try await capacityServer(of: environment, deploying: environment?.configuration),
                    pipelines: try await pipelineCatalog(),
                    governance: try await governance(for: environment, now: now ?? Int64(Date().timeIntervalSince1970 * 1_000_000))),
                organisation: environment?.organisationID, project: environment?.projectID)
        }.starting(request.deploymentID)
    }

    @discardableResult
    public func retry(_ deploymentID: String, breakGlass: String? = nil, context: CommandContext) async throws -> Outcome {
        let request = DeploymentDecisions.Request(context, deploymentID: context.newDeploymentID(), breakGlass: breakGlass)
        return try await execute(context) {
            let original = try await deployment(deploymentID)
            try context.requireInScope(organisation: original?.organisationID, project: original?.projectID, what: "deployment")
            let environment: EnvironmentState? = if let original { try await environment(original.environmentID) } else { nil }
            return Decided(
                try DeploymentDecisions.retry(
                    environment, original: original, request: request,
                    organisation: try await quotaOrganisation(of: environment, deploying: original?.configuration),
                    server: try await capacityServer(of: environment, deploying: original?.configuration),
                    pipelines: try await pipelineCatalog(), governance: try await governance(for: environment)),
                organisation: original?.organisationID, project: original?.projectID)
        }.starting(request.deploymentID)
    }

    /// Rolls back to a successful deployment. `restoring` goes back to the current release after
    /// a failed deployment (the executor's automatic rollback), which a person's rollback may not.
    @discardableResult
    public func rollback(to deploymentID: String, restoring: Bool = false, breakGlass: String? = nil, context: CommandContext) async throws -> Outcome {
        let request = DeploymentDecisions.Request(context, deploymentID: context.newDeploymentID(), breakGlass: breakGlass)
        return try await execute(context) {
            let target = try await deployment(deploymentID)
            try context.requireInScope(organisation: target?.organisationID, project: target?.projectID, what: "deployment")
            let environment: EnvironmentState? = if let target { try await environment(target.environmentID) } else { nil }
            return Decided(
                try DeploymentDecisions.rollback(
                    environment, target: target, request: request,
                    organisation: try await quotaOrganisation(of: environment, deploying: target?.configuration), restoring: restoring,
                    server: try await capacityServer(of: environment, deploying: target?.configuration),
                    pipelines: try await pipelineCatalog(), governance: try await governance(for: environment)),
                organisation: target?.organisationID, project: target?.projectID)
        }.starting(request.deploymentID)
    }

    @discardableResult
    public func cancel(_ deploymentID: String, reason: String? = nil, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let deployment = try await deployment(deploymentID)
            try context.requireInScope(organisation: deployment?.organisationID, project: deployment?.projectID, what: "deployment")
            return Decided(
                try DeploymentDecisions.cancel(deployment, reason: reason),
                organisation: deployment?.organisationID, project: deployment?.projectID)
        }
    }

    @discardableResult
    public func destroy(environment id: String, deleteData: Bool, context: CommandContext) async throws -> Outcome {
        let request = DeploymentDecisions.Request(context, deploymentID: context.newDeploymentID())
        return try await execute(context) {
            let environment = try await environment(id)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            return Decided(
                try DeploymentDecisions.destroy(
                    environment, deleteData: deleteData, request: request, organisation: try await organisationOf(environment?.organisationID),
                    server: try await serverOf(environment?.configuration?.server), pipelines: try await pipelineCatalog(),
                    governance: try await governance(for: environment)),
                organisation: environment?.organisationID, project: environment?.projectID)
        }.starting(request.deploymentID)
    }

    /// The organisation a deployment must fit the quota of — loaded only when the deployment can
    /// change the environment's allocation (deploying it again after a destroy, or a snapshot
    /// with other resources): an ordinary deploy reads no organisation stream at all.
    func quotaOrganisation(of environment: EnvironmentState?, deploying configuration: EnvironmentConfiguration?) async throws -> OrganisationState? {
        guard let environment, let configuration, Self.changesAllocation(environment, configuration) else { return nil }
        return try await organisationOf(environment.organisationID)
    }

    /// Whether deploying `configuration` can change what `environment` is allocated: after a
    /// destroy (it allocates nothing then), or a snapshot with other resources or another server.
    static func changesAllocation(_ environment: EnvironmentState, _ configuration: EnvironmentConfiguration) -> Bool {
        environment.status == .destroyed || environment.configuration?.resources != configuration.resources
            || environment.configuration?.server != configuration.server
    }

    /// The server whose capacity a deployment must fit — loaded, like the organisation, only
    /// when the deployment can change the environment's allocation there.
    func capacityServer(of environment: EnvironmentState?, deploying configuration: EnvironmentConfiguration?) async throws -> ServerState? {
        guard let environment, let configuration, let name = configuration.server, Self.changesAllocation(environment, configuration) else {
            return nil
        }
        return try await server(name)
    }

    /// A configuration naming a server gets that server's host, user and port.
    func onServer(_ configuration: EnvironmentConfiguration) async throws -> EnvironmentConfiguration {
        guard let name = configuration.server, let server = try await server(name), !server.removed else { return configuration }
        var configuration = configuration
        configuration.host = server.registration.host
        configuration.sshUser = server.registration.user
        configuration.sshPort = server.registration.port
        return configuration
    }

    /// The server a configuration names, when it names one.
    func serverOf(_ id: String?) async throws -> ServerState? {
        guard let id else { return nil }
        return try await server(id)
    }

    /// The organisation whose quota a command must respect, when it names one.
    func organisationOf(_ id: String?) async throws -> OrganisationState? {
        guard let id else { return nil }
        return try await organisation(id)
    }

    /// Runs an executor decision about one deployment, reloading it for every attempt.
    @discardableResult
    public func execute(
        deployment id: String, context: CommandContext,
        _ decide: @Sendable (DeploymentState, DeploymentProgress) async throws -> Decision
    ) async throws -> Outcome {
        try await execute(context) {
            guard let (state, progress) = try await deploymentWithProgress(id) else {
                throw CommandRejection(.notFound, "no such deployment")
            }
            try context.requireInScope(organisation: state.organisationID, project: state.projectID, what: "deployment")
            return Decided(try await decide(state, progress), organisation: state.organisationID, project: state.projectID)
        }
    }
}

extension DeploymentService.Outcome {
    /// The outcome, naming the deployment the command started.
    func starting(_ deploymentID: String) -> Self {
        var outcome = self
        outcome.deploymentID = deploymentID
        return outcome
    }
}
