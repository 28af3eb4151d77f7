/// The commands people give, each one load → decide → append.
extension DeploymentService {
    @discardableResult
    public func createOrganisation(id: String, name: String, quota: Resources? = nil, actor: String) async throws -> Outcome {
        try await execute(actor: actor) {
            Decided(
                try SetupDecisions.createOrganisation(id: id, name: name, quota: quota, existing: try await organisation(id)),
                organisation: id, project: nil)
        }
    }

    @discardableResult
    public func createProject(id: String, organisation orgID: String, name: String, repository: String? = nil, actor: String) async throws -> Outcome {
        try await execute(actor: actor) {
            Decided(
                try SetupDecisions.createProject(
                    id: id, name: name, repository: repository, organisation: try await organisation(orgID), existing: try await project(id)),
                organisation: orgID, project: id)
        }
    }

    @discardableResult
    public func createEnvironment(
        id: String, project projectID: String, name: String, configuration: EnvironmentConfiguration?, actor: String
    ) async throws -> Outcome {
        try await execute(actor: actor) {
            let project = try await project(projectID)
            return Decided(
                try SetupDecisions.createEnvironment(
                    id: id, name: name, project: project, existing: try await environment(id), configuration: configuration,
                    organisation: try await organisationOf(project?.organisationID)),
                organisation: project?.organisationID, project: projectID)
        }
    }

    @discardableResult
    public func configureEnvironment(_ id: String, configuration: EnvironmentConfiguration, actor: String) async throws -> Outcome {
        try await execute(actor: actor) {
            let environment = try await environment(id)
            return Decided(
                try SetupDecisions.configureEnvironment(
                    environment, configuration: configuration, organisation: try await organisationOf(environment?.organisationID)),
                organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// Deploys; the outcome's new deployment id is `request.deploymentID`.
    @discardableResult
    public func deploy(
        environment id: String, git: GitReference, trigger: DeploymentTrigger = .manual, force: Bool = false,
        request: DeploymentDecisions.Request
    ) async throws -> Outcome {
        try await execute(actor: request.actor) {
            let environment = try await environment(id)
            return Decided(
                try DeploymentDecisions.deploy(
                    environment, git: git, trigger: trigger, force: force, request: request,
                    organisation: try await organisationOf(environment?.organisationID)),
                organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    @discardableResult
    public func retry(_ deploymentID: String, request: DeploymentDecisions.Request) async throws -> Outcome {
        try await execute(actor: request.actor) {
            let original = try await deployment(deploymentID)
            let environment: EnvironmentState? = if let original { try await environment(original.environmentID) } else { nil }
            return Decided(
                try DeploymentDecisions.retry(
                    environment, original: original, request: request, organisation: try await organisationOf(environment?.organisationID)),
                organisation: original?.organisationID, project: original?.projectID)
        }
    }

    @discardableResult
    public func rollback(to deploymentID: String, request: DeploymentDecisions.Request) async throws -> Outcome {
        try await execute(actor: request.actor) {
            let target = try await deployment(deploymentID)
            let environment: EnvironmentState? = if let target { try await environment(target.environmentID) } else { nil }
            return Decided(
                try DeploymentDecisions.rollback(
                    environment, target: target, request: request, organisation: try await organisationOf(environment?.organisationID)),
                organisation: target?.organisationID, project: target?.projectID)
        }
    }

    @discardableResult
    public func cancel(_ deploymentID: String, reason: String? = nil, actor: String) async throws -> Outcome {
        try await execute(actor: actor) {
            let deployment = try await deployment(deploymentID)
            return Decided(
                try DeploymentDecisions.cancel(deployment, reason: reason),
                organisation: deployment?.organisationID, project: deployment?.projectID)
        }
    }

    @discardableResult
    public func destroy(environment id: String, deleteData: Bool, request: DeploymentDecisions.Request) async throws -> Outcome {
        try await execute(actor: request.actor) {
            let environment = try await environment(id)
            return Decided(
                try DeploymentDecisions.destroy(
                    environment, deleteData: deleteData, request: request, organisation: try await organisationOf(environment?.organisationID)),
                organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// The organisation whose quota a command must respect, when it names one.
    func organisationOf(_ id: String?) async throws -> OrganisationState? {
        guard let id else { return nil }
        return try await organisation(id)
    }

    /// Runs an executor decision about one deployment, reloading it for every attempt.
    @discardableResult
    public func execute(
        deployment id: String, actor: String,
        _ decide: @Sendable (DeploymentState, DeploymentProgress) async throws -> Decision
    ) async throws -> Outcome {
        try await execute(actor: actor) {
            guard let (state, progress) = try await deploymentWithProgress(id) else {
                throw CommandRejection(.notFound, "no such deployment")
            }
            return Decided(try await decide(state, progress), organisation: state.organisationID, project: state.projectID)
        }
    }
}
