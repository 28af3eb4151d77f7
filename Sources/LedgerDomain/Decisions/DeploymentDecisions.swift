import Ledger

/// Decisions people make about deployments — deploy, retry, roll back, cancel, destroy — as
/// pure functions of the folded streams and the command.
///
/// One deployment in flight per environment (invariant 9) is enforced by writing to the
/// environment stream at exactly the version the decision saw: if anything else reached the
/// environment in between, the append is a conflict and nothing is written.
public enum DeploymentDecisions {
    /// Who asks, and the id the new deployment gets.
    public struct Request: Sendable {
        public var actor: String
        public var deploymentID: String
        /// The person of record behind the request, when known (recorded as the requester).
        public var person: String?
        /// Whether the caller may deploy where the rules demand `project.production.deploy`.
        public var mayDeployProtected: Bool
        /// Why the caller deploys through a freeze (break-glass), when they do.
        public var breakGlassReason: String?
        /// Whether the caller may break glass (`project.freeze.override`).
        public var mayOverrideFreeze: Bool

        public init(
            actor: String, deploymentID: String = DomainIDs.newDeploymentID(), person: String? = nil, mayDeployProtected: Bool = true,
            breakGlassReason: String? = nil, mayOverrideFreeze: Bool = true
        ) {
            self.actor = actor
            self.deploymentID = deploymentID
            self.person = person
            self.mayDeployProtected = mayDeployProtected
            self.breakGlassReason = breakGlassReason
            self.mayOverrideFreeze = mayOverrideFreeze
        }

        /// The request of a command given in `context`, breaking glass with `breakGlass` as the reason when given.
        public init(_ context: CommandContext, deploymentID: String, breakGlass: String? = nil) {
            self.init(
                actor: context.actor, deploymentID: deploymentID, person: context.person, mayDeployProtected: context.mayDeployProtected,
                breakGlassReason: breakGlass, mayOverrideFreeze: context.role?.permissions.contains(.overrideFreeze) ?? true)
        }
    }

    /// Deploys a git reference. Without `force`, an environment that already runs exactly this
    /// reference is left alone; with it, it is redeployed.
    public static func deploy(
        _ environment: EnvironmentState?, git: GitReference, trigger: DeploymentTrigger = .manual, force: Bool = false,
        request: Request, organisation: OrganisationState? = nil, server: ServerState? = nil, pipelines: PipelineCatalog = .empty,
        governance: GovernanceInputs = .init()
    ) throws -> Decision {
        // What is deployed to matters first: a missing, unconfigured or busy environment is
        // refused as such, whatever the request says.
        let environment = try available(environment)
        guard git.namesSomething else {
            throw CommandRejection(.invalid, "a deployment names at least one of branch, commit or tag")
        }
        let problems = GitRefRules.problems(git)
        guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid git reference: " + problems.joined(separator: "; ")) }
        guard trigger != .rollback, trigger != .destroy else {
            throw CommandRejection(.invalid, "use rollback or destroy for a \(trigger.rawValue) deployment")
        }
        if !force, environment.status == .running, let current = environment.currentRelease, current.git.identity == git.identity,
            current.configuration == environment.configuration
        {
            throw CommandRejection(
                .alreadyDeployed, "environment \(environment.environmentID) already runs \(git.shortDescription); use force to redeploy")
        }
        return try begin(
            environment, trigger: trigger, git: git, configuration: environment.configuration!, force: force, request: request,
            organisation: organisation, server: server, pipelines: pipelines, governance: governance)
    }

    /// Retries a failed deployment: a new deployment with the next number, the same git
    /// reference and configuration snapshot, and `retry_of` naming the original.
    public static func retry(
        _ environment: EnvironmentState?, original: DeploymentState?, request: Request, organisation: OrganisationState? = nil,
        server: ServerState? = nil, pipelines: PipelineCatalog = .empty, governance: GovernanceInputs = .init()
    ) throws -> Decision {
        guard let original else { throw CommandRejection(.notFound, "no such deployment") }
        guard original.status == .failed else {
            throw CommandRejection(.wrongStatus, "can only retry a failed deployment; \(original.deploymentID) is \(original.status.rawValue)")
        }
        let environment = try available(environment)
        return try begin(
            environment, trigger: original.trigger, git: original.git, configuration: original.configuration, force: true,
            request: request, organisation: organisation, server: server, pipelines: pipelines, retryOf: original.deploymentID,
            governance: governance)
    }

    /// Rolls back to an earlier successful deployment of the same environment: a new deployment
    /// with trigger `rollback` and the target's commit and configuration snapshot.
    public static func rollback(
        _ environment: EnvironmentState?, target: DeploymentState?, request: Request, organisation: OrganisationState? = nil,
        restoring: Bool = false, server: ServerState? = nil, pipelines: PipelineCatalog = .empty, governance: GovernanceInputs = .init()
    ) throws -> Decision {
        guard let target else { throw CommandRejection(.notFound, "no such deployment") }
        let environment = try available(environment)
        guard target.environmentID == environment.environmentID else {
            throw CommandRejection(.invalid, "deployment \(target.deploymentID) belongs to another environment")
        }
        guard target.status == .success else {
            throw CommandRejection(.wrongStatus, "can only roll back to a successful deployment; \(target.deploymentID) is \(target.status.rawValue)")
        }
        // Restoring after a failed deployment goes back to the release the ledger still calls
        // current, because the host may already have switched to the failed one.
        guard restoring || environment.currentRelease?.deploymentID != target.deploymentID else {
            throw CommandRejection(.alreadyDeployed, "deployment \(target.deploymentID) is already the current release")
        }
        return try begin(
            environment, trigger: .rollback, git: target.git, configuration: target.configuration, force: true, request: request,
            organisation: organisation, server: server, pipelines: pipelines, rollbackTo: target.deploymentID, gated: !restoring,
            governance: governance)
    }

    /// Cancels a deployment that is not terminal. One nobody has started yet is cancelled at
    /// once; a running one is asked to stop, and its executor confirms at the next safe point.
    public static func cancel(_ deployment: DeploymentState?, reason: String?) throws -> Decision {
        guard let deployment else { throw CommandRejection(.notFound, "no such deployment") }
        guard !deployment.status.isTerminal else {
            throw CommandRejection(.wrongStatus, "cannot cancel deployment \(deployment.deploymentID): it is \(deployment.status.rawValue)")
        }
        if deployment.cancellationRequested { return .nothing }
        let id = deployment.deploymentID
        var events: [DomainEvent] = [.deploymentCancellationRequested(DeploymentCancellationRequested(deploymentID: id, reason: reason))]
        var writes: [Decision.Write] = []
        if [.pending, .queued, .awaitingApproval].contains(deployment.status) {
            events.append(.deploymentCancelled(DeploymentCancelled(deploymentID: id, reason: reason)))
            writes.append(ExecutionDecisions.ending(deployment, as: .cancelled))
        }
        writes.insert(.init(DomainIDs.deploymentStream(id), expectedVersion: .exact(deployment.version), events), at: 0)
        return Decision(writes)
    }

    /// Destroys an environment: a destroy record in its deployment history, and the environment
    /// becomes inactive, which releases its quota. A deployment in flight must be cancelled first.
    public static func destroy(
        _ environment: EnvironmentState?, deleteData: Bool, request: Request, organisation: OrganisationState? = nil, server: ServerState? = nil,
        pipelines: PipelineCatalog = .empty, governance: GovernanceInputs = .init()
    ) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        guard environment.status != .destroyed else {
            throw CommandRejection(.environmentUnavailable, "environment \(environment.environmentID) is already destroyed")
        }
        // Governed change: a protected environment is not torn down past its rules (lifting them
        // is itself a recorded change, by someone who may), nor one with deployments waiting for
        // approval, nor during a freeze.
        if environment.protection?.demandsSomething == true {
            throw CommandRejection(
                .forbidden, "environment \(environment.environmentID) is protected: remove its protection rules first (\(Permission.protectEnvironments.rawValue))")
        }
        if let waiting = environment.awaitingApproval.first {
            throw CommandRejection(.wrongStatus, "deployment \(waiting.deploymentID) awaits approval on \(environment.environmentID): cancel or reject it first")
        }
        _ = try ProtectionGate.freeze(
            environment.freezeWindows + governance.projectFreezes, environmentID: environment.environmentID, trigger: .destroy,
            request: Request(actor: request.actor, mayOverrideFreeze: false), at: governance.nowMicroseconds)
        if let inFlight = environment.inFlight {
            throw CommandRejection(.deploymentInFlight, "deployment \(inFlight) is in flight on \(environment.environmentID); cancel it first")
        }
        let number = environment.deploymentCount + 1
        let id = request.deploymentID
        // On a registered server there is something to tear down: the destroy record stays
        // pending until an executor has run the destroy pipeline there. Elsewhere it is final at once.
        let teardown = environment.configuration?.server != nil
        let git = environment.currentRelease?.git ?? GitReference()
        let record = DeploymentRequested(
            deploymentID: id, environmentID: environment.environmentID, projectID: environment.projectID,
            organisationID: environment.organisationID, number: number, trigger: .destroy,
            git: git, requestedBy: request.actor,
            configuration: environment.configuration ?? EnvironmentConfiguration(host: "-", resources: .zero), deleteData: deleteData,
            pipeline: teardown ? pipelines.plan(trigger: .destroy, rollbackTo: nil, git: git) : nil)
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .environmentDestroyed(EnvironmentDestroyed(environmentID: environment.environmentID, deploymentID: id, number: number, deleteData: deleteData))
            ]),
            .init(
                DomainIDs.deploymentStream(id), expectedVersion: .noStream,
                teardown ? [.deploymentRequested(record)] : [.deploymentRequested(record), .deploymentDestroyed(DeploymentDestroyed(deploymentID: id, deleteData: deleteData))]),
        ] + [QuotaDecisions.release(environment.environmentID, in: organisation), ServerDecisions.release(environment.environmentID, on: server)]
            .compactMap { $0 })
    }

    /// The environment, when a new deployment may begin on it.
    private static func available(_ environment: EnvironmentState?) throws -> EnvironmentState {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        guard environment.configuration != nil else {
            throw CommandRejection(.environmentUnavailable, "environment \(environment.environmentID) is not configured yet")
        }
        if let inFlight = environment.inFlight {
            throw CommandRejection(.deploymentInFlight, "deployment \(inFlight) is already in flight on \(environment.environmentID)")
        }
        return environment
    }

    private static func begin(
        _ environment: EnvironmentState, trigger: DeploymentTrigger, git: GitReference, configuration: EnvironmentConfiguration,
        force: Bool, request: Request, organisation: OrganisationState?, server: ServerState? = nil, pipelines: PipelineCatalog,
        retryOf: String? = nil, rollbackTo: String? = nil, gated: Bool = true, governance: GovernanceInputs
    ) throws -> Decision {
        // What it deploys is what it is allocated: a deployment after a destroy, or of a
        // snapshot with other resources, must fit the organisation's quota and its server.
        let allocation = try QuotaDecisions.allocate(configuration.resources, to: environment.environmentID, in: organisation)
        let placement = try server.flatMap {
            try ServerDecisions.allocate(configuration.resources, to: environment.environmentID, organisation: environment.organisationID, on: $0)
        }
        let number = environment.deploymentCount + 1
        let pipeline = pipelines.plan(trigger: trigger, rollbackTo: rollbackTo, git: git)
        // The environment's rules and freezes (an executor's automatic restore is not gated: it repairs).
        let gate = gated
            ? try ProtectionGate.check(
                environment, trigger: trigger, git: git, configuration: configuration, pipeline: pipeline, request: request, inputs: governance)
            : ProtectionGate.Outcome()
        let requested = DeploymentRequested(
            deploymentID: request.deploymentID, environmentID: environment.environmentID, projectID: environment.projectID,
            organisationID: environment.organisationID, number: number, trigger: trigger, git: git, requestedBy: request.actor,
            retryOf: retryOf, rollbackTo: rollbackTo, force: force, configuration: configuration, pipeline: pipeline,
            requester: request.person, promotion: gate.promotion, breakGlass: gate.breakGlass)
        // A protected environment holds it until approved: it takes its number, and neither the
        // lock nor an allocation (both are taken when it is released; the checks above ran so
        // that what cannot fit is refused now, not after the approvals).
        if let awaiting = gate.awaiting {
            return Decision([
                .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                    .environmentDeploymentAwaitingApproval(EnvironmentDeploymentAwaitingApproval(
                        environmentID: environment.environmentID, deploymentID: request.deploymentID, number: number, trigger: trigger,
                        followsConfiguration: retryOf == nil && rollbackTo == nil))
                ]),
                .init(DomainIDs.deploymentStream(request.deploymentID), expectedVersion: .noStream, [
                    .deploymentRequested(requested), .deploymentAwaitingApproval(awaiting),
                ]),
            ])
        }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .environmentDeploymentBegan(EnvironmentDeploymentBegan(
                    environmentID: environment.environmentID, deploymentID: request.deploymentID, number: number, trigger: trigger))
            ]),
            .init(DomainIDs.deploymentStream(request.deploymentID), expectedVersion: .noStream, [.deploymentRequested(requested)]),
        ] + [allocation, placement].compactMap { $0 })
    }
}
