import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Every decision rule, allowed and rejected, against an in-memory log.
@Suite struct DeploymentDecisionTests {
    static let configuration = EnvironmentConfiguration(
        host: "10.0.0.5", pipeline: DeploymentStep.standardPipeline.prefix(3).map { $0 },
        resources: Resources(cpuMillicores: 1_000, memoryMB: 2_048, diskGB: 20))
    let ana = DeploymentDecisions.Request(actor: "ana", deploymentID: "d1")

    /// An organisation `acme`, project `shop` and configured environment `shop-prod`.
    func world() throws -> DomainLogBuffer {
        var log = DomainLogBuffer()
        try log.apply(SetupDecisions.createOrganisation(id: "acme", name: "Acme", quota: nil, existing: nil))
        try log.apply(SetupDecisions.createProject(id: "shop", name: "Shop", repository: nil, organisation: log.organisation("acme"), existing: nil))
        try log.apply(SetupDecisions.createEnvironment(
            id: "shop-prod", name: "production", project: log.project("shop"), existing: nil, configuration: Self.configuration))
        return log
    }

    func deploy(_ log: inout DomainLogBuffer, _ id: String, commit: String = "abc1234", force: Bool = false) throws {
        try log.apply(DeploymentDecisions.deploy(
            log.environment("shop-prod"), git: GitReference(branch: "main", commit: commit), force: force,
            request: .init(actor: "ana", deploymentID: id)))
    }

    /// Plays a deployment to its end through the executor decisions.
    func finish(_ log: inout DomainLogBuffer, _ id: String, failing: Bool = false) throws {
        try log.apply(ExecutionDecisions.queue(log.deployment(id)!))
        try log.apply(ExecutionDecisions.start(log.deployment(id)!, executor: "test", lease: "l1"))
        for step in Self.configuration.pipeline {
            try log.apply(ExecutionDecisions.startStep(log.deployment(id)!, log.progress(id)!, step: step))
            if failing {
                try log.apply(ExecutionDecisions.failStep(log.deployment(id)!, log.progress(id)!, step: step, durationMs: 5, error: "boom"))
                return
            }
            try log.apply(ExecutionDecisions.completeStep(log.deployment(id)!, log.progress(id)!, step: step, durationMs: 5, summary: nil))
        }
        try log.apply(ExecutionDecisions.succeed(log.deployment(id)!, log.progress(id)!, environment: log.environment("shop-prod")!))
    }

    func rejection(_ body: () throws -> Decision) -> CommandRejection? {
        do {
            _ = try body()
            return nil
        } catch let rejection as CommandRejection {
            return rejection
        } catch {
            return nil
        }
    }

    @Test func aDeploymentNamesABranchCommitOrTag() throws {
        let log = try world()
        let none = rejection { try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(message: "msg"), request: ana) }
        #expect(none?.code == .invalid)
        for git in [GitReference(branch: "main"), GitReference(commit: "abc1234"), GitReference(tag: "v1")] {
            let decision = try DeploymentDecisions.deploy(log.environment("shop-prod"), git: git, request: ana)
            guard case .deploymentRequested(let requested)? = decision.events(for: DomainIDs.deploymentStream("d1")).first else {
                Issue.record("no request")
                return
            }
            #expect(requested.git == git)
            #expect(requested.number == 1)
            #expect(requested.configuration == Self.configuration)
        }
    }

    @Test func aSecondDeploymentWhileOneIsInFlightIsRejected() throws {
        var log = try world()
        try deploy(&log, "d1")
        let second = rejection {
            try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(branch: "dev"), request: .init(actor: "bo", deploymentID: "d2"))
        }
        #expect(second?.code == .deploymentInFlight)
        #expect(second?.message.contains("d1") == true)
        try finish(&log, "d1")
        try deploy(&log, "d2", commit: "def5678")
        #expect(log.deployment("d2")?.number == 2)
    }

    @Test func twoDecisionsFromTheSameEnvironmentVersionCannotBothBeAppended() throws {
        var log = try world()
        let environment = log.environment("shop-prod")
        let first = try DeploymentDecisions.deploy(environment, git: GitReference(branch: "a"), request: .init(actor: "a", deploymentID: "d1"))
        let second = try DeploymentDecisions.deploy(environment, git: GitReference(branch: "b"), request: .init(actor: "b", deploymentID: "d2"))
        try log.apply(first)
        #expect(throws: AppendConflict.self) { try log.apply(second) }
        #expect(log.deployment("d2") == nil)
    }

    @Test func theSameReferenceIsRedeployedOnlyWithForce() throws {
        var log = try world()
        try deploy(&log, "d1")
        try finish(&log, "d1")
        let again = rejection {
            try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(branch: "main", commit: "abc1234"), request: .init(actor: "a", deploymentID: "d2"))
        }
        #expect(again?.code == .alreadyDeployed)
        try deploy(&log, "d2", force: true)
        #expect(log.deployment("d2")?.force == true)
        #expect(log.environment("shop-prod")?.status == .deploying)
    }

    @Test func onlyAFailedDeploymentCanBeRetried() throws {
        var log = try world()
        try deploy(&log, "d1")
        try finish(&log, "d1")
        let notFailed = rejection { try DeploymentDecisions.retry(log.environment("shop-prod"), original: log.deployment("d1"), request: .init(actor: "a", deploymentID: "d2")) }
        #expect(notFailed?.code == .wrongStatus)
        #expect(notFailed?.message.contains("success") == true)

        try deploy(&log, "d2", commit: "bad0000")
        try finish(&log, "d2", failing: true)
        #expect(log.deployment("d2")?.status == .failed)
        try log.apply(DeploymentDecisions.retry(log.environment("shop-prod"), original: log.deployment("d2"), request: .init(actor: "a", deploymentID: "d3")))
        let retry = try #require(log.deployment("d3"))
        #expect(retry.retryOf == "d2")
        #expect(retry.number == 3)
        #expect(retry.git == log.deployment("d2")?.git)
        #expect(retry.configuration == log.deployment("d2")?.configuration)
    }

    @Test func rollbackOnlyToASuccessfulDeploymentOfTheSameEnvironment() throws {
        var log = try world()
        try deploy(&log, "d1", commit: "900d111")
        try finish(&log, "d1")
        try deploy(&log, "d2", commit: "fa11222")
        try finish(&log, "d2", failing: true)
        try deploy(&log, "d3", commit: "ae57333")
        try finish(&log, "d3")

        let toFailed = rejection { try DeploymentDecisions.rollback(log.environment("shop-prod"), target: log.deployment("d2"), request: .init(actor: "a", deploymentID: "r")) }
        #expect(toFailed?.code == .wrongStatus)

        try log.apply(SetupDecisions.createEnvironment(id: "shop-dev", name: "dev", project: log.project("shop"), existing: nil, configuration: Self.configuration))
        let otherEnvironment = rejection { try DeploymentDecisions.rollback(log.environment("shop-dev"), target: log.deployment("d1"), request: .init(actor: "a", deploymentID: "r")) }
        #expect(otherEnvironment?.code == .invalid)

        try log.apply(DeploymentDecisions.rollback(log.environment("shop-prod"), target: log.deployment("d1"), request: .init(actor: "a", deploymentID: "r1")))
        let rollback = try #require(log.deployment("r1"))
        #expect(rollback.trigger == .rollback)
        #expect(rollback.rollbackTo == "d1")
        #expect(rollback.git.commit == "900d111")
        try finish(&log, "r1")
        #expect(log.deployment("d3")?.status == .rolledBack)
        #expect(log.environment("shop-prod")?.currentRelease?.deploymentID == "r1")
        #expect(log.environment("shop-prod")?.rollbackTargets.map(\.deploymentID) == ["r1", "d1"])
    }

    @Test func cancelOnlyWhatIsNotTerminal() throws {
        var log = try world()
        try deploy(&log, "d1")
        try log.apply(DeploymentDecisions.cancel(log.deployment("d1"), reason: "wrong branch"))
        #expect(log.deployment("d1")?.status == .cancelled)
        #expect(log.environment("shop-prod")?.inFlight == nil)

        let terminal = rejection { try DeploymentDecisions.cancel(log.deployment("d1"), reason: nil) }
        #expect(terminal?.code == .wrongStatus)
        #expect(terminal?.message.contains("cancelled") == true)

        try deploy(&log, "d2", commit: "eeeeeee")
        try log.apply(ExecutionDecisions.queue(log.deployment("d2")!))
        try log.apply(ExecutionDecisions.start(log.deployment("d2")!, executor: "t", lease: "l"))
        try log.apply(DeploymentDecisions.cancel(log.deployment("d2"), reason: nil))
        #expect(log.deployment("d2")?.status == .building)
        #expect(log.deployment("d2")?.cancellationRequested == true)
        #expect(try DeploymentDecisions.cancel(log.deployment("d2"), reason: nil) == .nothing)
        try log.apply(ExecutionDecisions.confirmCancellation(log.deployment("d2")!))
        #expect(log.deployment("d2")?.status == .cancelled)
        #expect(log.environment("shop-prod")?.status == .pending)
    }

    @Test func destroyRecordsItMakesTheEnvironmentInactiveAndReleasesQuota() throws {
        var log = try world()
        try deploy(&log, "d1")
        let busy = rejection { try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: .init(actor: "a", deploymentID: "x")) }
        #expect(busy?.code == .deploymentInFlight)
        try finish(&log, "d1")

        var quota = try #require(QuotaEntry.start(log.records(DomainIDs.environmentStream("shop-prod"))[0]))
        for record in log.records(DomainIDs.environmentStream("shop-prod")).dropFirst() { quota.apply(record) }
        #expect(QuotaUsage(organisationID: "acme", entries: [quota]).used.memoryMB == 2_048)

        try log.apply(DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: true, request: .init(actor: "a", deploymentID: "z")))
        let environment = try #require(log.environment("shop-prod"))
        #expect(environment.active == false)
        #expect(environment.status == .destroyed)
        #expect(log.deployment("z")?.status == .destroyed)
        #expect(log.deployment("z")?.trigger == .destroy)
        #expect(log.deployment("z")?.number == 2)
        quota.apply(log.records(DomainIDs.environmentStream("shop-prod")).last!)
        #expect(QuotaUsage(organisationID: "acme", entries: [quota]).used == .zero)

        let twice = rejection { try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: .init(actor: "a", deploymentID: "y")) }
        #expect(twice?.code == .environmentUnavailable)
        try deploy(&log, "d3")
        #expect(log.environment("shop-prod")?.active == true)
    }

    @Test func statusChangesFollowTheTransitionTable() throws {
        var log = try world()
        try deploy(&log, "d1")
        let deployment = try #require(log.deployment("d1"))
        #expect(rejection { try ExecutionDecisions.start(deployment, executor: "t", lease: "l") }?.code == .illegalTransition)
        #expect(rejection { try ExecutionDecisions.succeed(deployment, log.progress("d1")!, environment: log.environment("shop-prod")!) }?.code == .illegalTransition)
        try log.apply(ExecutionDecisions.queue(deployment))
        #expect(rejection { try ExecutionDecisions.queue(log.deployment("d1")!) }?.code == .illegalTransition)
        try log.apply(ExecutionDecisions.start(log.deployment("d1")!, executor: "t", lease: "l"))
        let step = Self.configuration.pipeline[0]
        #expect(rejection { try ExecutionDecisions.completeStep(log.deployment("d1")!, log.progress("d1")!, step: step, durationMs: 1, summary: nil) }?.code == .illegalTransition)
        #expect(rejection { try ExecutionDecisions.succeed(log.deployment("d1")!, log.progress("d1")!, environment: log.environment("shop-prod")!) }?.code == .illegalTransition)
        try log.apply(ExecutionDecisions.fail(log.deployment("d1")!, step: nil, error: "lost"))
        #expect(rejection { try ExecutionDecisions.fail(log.deployment("d1")!, step: nil, error: "again") }?.code == .illegalTransition)
        #expect(rejection { try ExecutionDecisions.appendLogs(log.deployment("d1")!, lines: [LogLine(level: .info, step: nil, message: "late", atMicroseconds: 0)]) }?.code == .wrongStatus)

        for from in DeploymentStatus.allCases {
            for to in DeploymentStatus.allCases where from.isTerminal && from != .success {
                #expect(!from.canTransition(to: to), "\(from) → \(to)")
            }
        }
        #expect(DeploymentStatus.success.canTransition(to: .rolledBack))
        #expect(!DeploymentStatus.pending.canTransition(to: .success))
    }

    @Test func aBranchIsResolvedToACommitOnceBeforeAnyStepAndTheReleaseNamesIt() throws {
        var log = try world()
        try log.apply(DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(branch: "main"), request: .init(actor: "ana", deploymentID: "d1")))
        let commit = String(repeating: "a", count: 40)
        // Not before it runs.
        #expect(throws: CommandRejection.self) { try ExecutionDecisions.resolveRevision(log.deployment("d1")!, log.progress("d1")!, commit: commit, ref: "refs/heads/main") }
        try log.apply(ExecutionDecisions.queue(log.deployment("d1")!))
        try log.apply(ExecutionDecisions.start(log.deployment("d1")!, executor: "test", lease: "l1"))
        #expect(throws: CommandRejection.self) { try ExecutionDecisions.resolveRevision(log.deployment("d1")!, log.progress("d1")!, commit: "abc1234", ref: "refs/heads/main") }
        try log.apply(ExecutionDecisions.resolveRevision(log.deployment("d1")!, log.progress("d1")!, commit: commit, ref: "refs/heads/main"))
        #expect(log.deployment("d1")?.git == GitReference(branch: "main", commit: commit))
        #expect(throws: CommandRejection.self, "only once") {
            try ExecutionDecisions.resolveRevision(log.deployment("d1")!, log.progress("d1")!, commit: commit, ref: "refs/heads/main")
        }
        for step in Self.configuration.pipeline {
            try log.apply(ExecutionDecisions.startStep(log.deployment("d1")!, log.progress("d1")!, step: step))
            try log.apply(ExecutionDecisions.completeStep(log.deployment("d1")!, log.progress("d1")!, step: step, durationMs: 5, summary: nil))
        }
        try log.apply(ExecutionDecisions.succeed(log.deployment("d1")!, log.progress("d1")!, environment: log.environment("shop-prod")!))
        #expect(log.environment("shop-prod")?.currentRelease?.git.commit == commit)
        // The branch may have moved since: asking for it again is not "already deployed".
        try log.apply(DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(branch: "main"), request: .init(actor: "ana", deploymentID: "d2")))
        #expect(log.deployment("d2") != nil)
    }

    @Test func progressCountsStepsAndPercent() throws {
        var log = try world()
        try deploy(&log, "d1")
        try log.apply(ExecutionDecisions.queue(log.deployment("d1")!))
        try log.apply(ExecutionDecisions.start(log.deployment("d1")!, executor: "t", lease: "l"))
        let steps = Self.configuration.pipeline
        try log.apply(ExecutionDecisions.startStep(log.deployment("d1")!, log.progress("d1")!, step: steps[0]))
        try log.apply(ExecutionDecisions.completeStep(log.deployment("d1")!, log.progress("d1")!, step: steps[0], durationMs: 1_200, summary: "ready"))
        try log.apply(ExecutionDecisions.startStep(log.deployment("d1")!, log.progress("d1")!, step: steps[1]))
        try log.apply(ExecutionDecisions.appendLogs(log.deployment("d1")!, lines: [LogLine(level: .info, step: steps[1], message: "Connecting…", atMicroseconds: 1)]))
        let progress = try #require(log.progress("d1"))
        #expect(progress.stepNumber == 2)
        #expect(progress.steps.count == 3)
        #expect(progress.percent == 33)
        #expect(progress.currentStep == steps[1])
        #expect(progress.steps[0].durationMs == 1_200)
        #expect(progress.steps[1].latestMessage == "Connecting…")
        #expect(rejection { try ExecutionDecisions.startStep(log.deployment("d1")!, log.progress("d1")!, step: steps[2]) }?.code == .illegalTransition)
    }

    @Test func setupRejectsDuplicatesMissingParentsAndBadInput() throws {
        var log = try world()
        #expect(rejection { try SetupDecisions.createOrganisation(id: "acme", name: "x", quota: nil, existing: log.organisation("acme")) }?.code == .alreadyExists)
        #expect(rejection { try SetupDecisions.createOrganisation(id: "Bad Id", name: "x", quota: nil, existing: nil) }?.code == .invalid)
        #expect(rejection { try SetupDecisions.createProject(id: "p", name: "x", repository: nil, organisation: nil, existing: nil) }?.code == .notFound)
        var broken = Self.configuration
        broken.sshPort = 70_000
        #expect(rejection { try SetupDecisions.configureEnvironment(log.environment("shop-prod"), configuration: broken) }?.code == .invalid)
        #expect(try SetupDecisions.configureEnvironment(log.environment("shop-prod"), configuration: Self.configuration) == .nothing)
        try log.apply(SetupDecisions.createEnvironment(id: "bare", name: "bare", project: log.project("shop"), existing: nil, configuration: nil))
        #expect(rejection { try DeploymentDecisions.deploy(log.environment("bare"), git: GitReference(branch: "m"), request: ana) }?.code == .environmentUnavailable)
    }
}
