import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Governed change as pure decisions against an in-memory log: a protected environment holds a
/// deployment (no lock, no allocation) until enough eligible people other than its requester
/// approve its exact artifact; a change of that artifact voids the approvals.
@Suite struct ApprovalDecisionTests {
    let decisions = DeploymentDecisionTests()
    let ana = DeploymentDecisions.Request(actor: "user:ana", deploymentID: "d1", person: "ana")
    static let twoReviewers = ProtectionRules(requiredApprovals: 2, reviewers: .init(roles: [.orgAdmin], users: ["carl"]))
    static let now: Int64 = 1_700_000_100_000_000

    /// The world of the deployment decisions, `shop-prod` protected by `rules`.
    func protected(_ rules: ProtectionRules = twoReviewers) throws -> DomainLogBuffer {
        var log = try decisions.world()
        try log.apply(ProtectionDecisions.protect(log.environment("shop-prod"), rules: rules))
        return log
    }

    func request(_ log: inout DomainLogBuffer, _ request: DeploymentDecisions.Request? = nil, trigger: DeploymentTrigger = .manual, author: String? = nil) throws {
        try log.apply(DeploymentDecisions.deploy(
            log.environment("shop-prod"), git: GitReference(branch: "main", commit: "abc1234", author: author), trigger: trigger,
            request: request ?? ana))
    }

    func approve(_ log: DomainLogBuffer, _ person: String, role: Role? = .orgAdmin, at: Int64 = now, pipelines: PipelineCatalog = .empty) throws -> Decision {
        try ApprovalDecisions.approve(
            log.deployment("d1"), environment: log.environment("shop-prod"), approver: Approver(person: person, role: role), comment: "looks right",
            governance: GovernanceInputs(nowMicroseconds: at), pipelines: pipelines)
    }

    @Test func aProtectedEnvironmentHoldsTheDeploymentWithoutItsLockUntilTwoEligiblePeopleApprove() throws {
        var log = try protected()
        try request(&log)
        #expect(log.deployment("d1")?.status == .awaitingApproval)
        #expect(log.environment("shop-prod")?.inFlight == nil, "a waiting deployment holds no lock")
        #expect(log.environment("shop-prod")?.awaitingApproval.map(\.deploymentID) == ["d1"])
        #expect(log.deployment("d1")?.approval?.excluded == ["ana"])

        let first = try approve(log, "bea")
        #expect(first.writes.count == 1, "one approval of two writes only the deployment's stream")
        try log.apply(first)
        #expect(log.deployment("d1")?.status == .awaitingApproval)
        #expect(log.environment("shop-prod")?.inFlight == nil)

        try log.apply(try approve(log, "carl", role: .projectAdmin))
        #expect(log.deployment("d1")?.status == .pending, "the second approval releases it")
        #expect(log.deployment("d1")?.approval?.grantedBy == ["bea", "carl"])
        #expect(log.environment("shop-prod")?.inFlight == "d1")
        #expect(log.environment("shop-prod")?.awaitingApproval.isEmpty == true)
        #expect(log.environment("shop-prod")?.deploymentCount == 1, "it keeps the number it took when requested")
        try decisions.finish(&log, "d1")
        #expect(log.deployment("d1")?.status == .success)
    }

    @Test func theRequesterAndAPushAuthorCannotApproveAndNeitherCanSomeoneTheRulesDoNotName() throws {
        var log = try protected()
        try request(&log, DeploymentDecisions.Request(actor: "git:ada@example.com", deploymentID: "d1", person: "ada@example.com"), trigger: .gitPush, author: "Ada")
        #expect(log.deployment("d1")?.approval?.excluded == ["ada@example.com", "Ada"])
        for person in ["ada@example.com", "Ada"] {
            let refusal = decisions.rejection { try approve(log, person) }
            #expect(refusal?.code == .forbidden && refusal?.message.contains("may not approve") == true, "\(String(describing: refusal))")
        }
        let stranger = decisions.rejection { try approve(log, "dan", role: .projectAdmin) }
        #expect(stranger?.code == .forbidden && stranger?.message.contains("not an eligible reviewer") == true)
        let twice = decisions.rejection {
            var again = log
            try again.apply(try approve(log, "bea"))
            return try approve(again, "bea")
        }
        #expect(twice?.code == .alreadyExists, "one person's approval counts once")
    }

    @Test func aConfigurationChangeVoidsTheApprovalsAndTheDeploymentThenRunsTheNewConfiguration() throws {
        var log = try protected()
        try request(&log)
        try log.apply(try approve(log, "bea"))
        var changed = DeploymentDecisionTests.configuration
        changed.settings = ["health_url": "http://localhost/health"]
        let waiting = [log.deployment("d1")!]
        try log.apply(Decision(
            try SetupDecisions.configureEnvironment(log.environment("shop-prod")!, configuration: changed, organisation: nil, server: nil, previousServer: nil, mayChangeCode: true).writes
                + ApprovalDecisions.voidOnReconfiguration(waiting, configuration: changed)))
        let deployment = try #require(log.deployment("d1"))
        #expect(deployment.configuration == changed)
        #expect(deployment.approval?.standing(at: Self.now).isEmpty == true, "bea's approval was of the old configuration")
        #expect(deployment.approval?.voidedCount == 1)
        #expect(deployment.approval?.artifact.configurationFingerprint == ApprovedArtifact.fingerprint(of: changed))
        try log.apply(try approve(log, "carl"))
        #expect(log.deployment("d1")?.status == .awaitingApproval, "one standing approval of two")
        try log.apply(try approve(log, "bea"))
        #expect(log.deployment("d1")?.status == .pending)
    }

    @Test func aPipelinePublishedMeanwhileVoidsTheApprovalsWhenTheNextOneIsGiven() throws {
        var log = try protected(ProtectionRules(requiredApprovals: 1))
        try request(&log)
        let published = PipelinePublished(name: "deploy", fingerprint: "sha256:" + String(repeating: "b", count: 64), steps: [DeploymentStep(rawValue: "cloning_repo")!], description: "deploy", executor: "w1")
        let catalog = PipelineCatalog(pipelines: ["deploy": published])
        let decision = try approve(log, "bea", pipelines: catalog)
        let events = decision.events(for: DomainIDs.deploymentStream("d1"))
        guard case .deploymentApprovalsVoided(let voided)? = events.first else {
            Issue.record("no void: \(events)")
            return
        }
        #expect(voided.reason.contains("the pipeline"))
        try log.apply(decision)
        #expect(log.deployment("d1")?.plannedPipeline?.fingerprint == published.fingerprint)
        #expect(log.deployment("d1")?.status == .pending)
    }

    @Test func anExpiredApprovalNoLongerCounts() throws {
        var log = try protected(ProtectionRules(requiredApprovals: 2, approvalLifetimeHours: 1))
        try request(&log)
        try log.apply(try approve(log, "bea", at: log.clockMicroseconds))
        try log.apply(try approve(log, "carl", at: log.clockMicroseconds + 2 * 3_600_000_000))
        #expect(log.deployment("d1")?.status == .awaitingApproval, "bea's approval expired an hour before carl's")
    }

    @Test func aRejectionEndsItAndCancelWorksOnAWaitingDeployment() throws {
        var log = try protected()
        try request(&log)
        #expect(decisions.rejection { try ApprovalDecisions.reject(log.deployment("d1"), approver: Approver(person: "ana", role: .orgAdmin), comment: "no") }?.code == .forbidden)
        try log.apply(ApprovalDecisions.reject(log.deployment("d1"), approver: Approver(person: "bea", role: .orgAdmin), comment: "not on a Friday"))
        #expect(log.deployment("d1")?.status == .rejected)
        #expect(log.deployment("d1")?.approval?.rejection?.comment == "not on a Friday")
        #expect(log.environment("shop-prod")?.awaitingApproval.isEmpty == true)

        try request(&log, DeploymentDecisions.Request(actor: "ana", deploymentID: "d2", person: "ana"))
        try log.apply(DeploymentDecisions.cancel(log.deployment("d2"), reason: "changed my mind"))
        #expect(log.deployment("d2")?.status == .cancelled)
        #expect(log.environment("shop-prod")?.awaitingApproval.isEmpty == true)
        #expect(log.environment("shop-prod")?.deploymentCount == 2)
    }

    @Test func allowedRefsAndTheDeployPermissionRefuseBeforeAnythingIsWritten() throws {
        let log = try protected(ProtectionRules(allowedRefs: ["release/*", "v*"], deployPermission: true))
        let env = log.environment("shop-prod")
        let main = decisions.rejection {
            try DeploymentDecisions.deploy(env, git: GitReference(branch: "main", commit: "abc1234"), request: ana)
        }
        #expect(main?.code == .forbidden && main?.message.contains("release/*") == true)
        let noPermission = decisions.rejection {
            try DeploymentDecisions.deploy(
                env, git: GitReference(branch: "release/1.2"), request: .init(actor: "x", deploymentID: "d1", mayDeployProtected: false))
        }
        #expect(noPermission?.code == .forbidden && noPermission?.message.contains(Permission.deployProtected.rawValue) == true)
        let allowed = try DeploymentDecisions.deploy(env, git: GitReference(tag: "v1.2"), request: ana)
        #expect(allowed.writes.count >= 2, "a matching ref with the permission begins at once (no approvals asked)")
        let unnamedCommit = decisions.rejection {
            try DeploymentDecisions.deploy(try protected(ProtectionRules(requiredApprovals: 1)).environment("shop-prod"), git: GitReference(branch: "main"), request: ana)
        }
        #expect(unnamedCommit?.code == .invalid && unnamedCommit?.message.contains("exact commit") == true)
    }

    @Test func refPatternsMatchWholeNames() {
        #expect(RefPattern.matches("main", "main") && !RefPattern.matches("main", "main2"))
        #expect(RefPattern.matches("release/*", "release/1.2") && !RefPattern.matches("release/*", "hotfix/release/1"))
        #expect(RefPattern.matches("v*.*", "v1.2") && !RefPattern.matches("v*.*", "v12"))
        #expect(RefPattern.matches("*", "anything/at/all"))
        #expect(!RefPattern.isValid("-x") && !RefPattern.isValid("a..b") && RefPattern.isValid("feature/*"))
    }

    /// Invariant 9 on the release path: two deployments approved from the same view of their
    /// environment cannot both begin — the second release's write at the environment's version
    /// conflicts (and, decided again, finds the environment busy and only records its approval).
    @Test func twoReleasesDecidedFromTheSameEnvironmentVersionCannotBothBegin() throws {
        var log = try protected(ProtectionRules(requiredApprovals: 1))
        try request(&log)
        try request(&log, DeploymentDecisions.Request(actor: "user:ana", deploymentID: "d2", person: "ana"))
        let approver = Approver(person: "bea", role: .orgAdmin)
        let first = try ApprovalDecisions.approve(
            log.deployment("d1"), environment: log.environment("shop-prod"), approver: approver, comment: "ok",
            governance: GovernanceInputs(nowMicroseconds: Self.now))
        let second = try ApprovalDecisions.approve(
            log.deployment("d2"), environment: log.environment("shop-prod"), approver: approver, comment: "ok",
            governance: GovernanceInputs(nowMicroseconds: Self.now))
        try log.apply(first)
        #expect(throws: AppendConflict.self) { try log.apply(second) }
        let again = try ApprovalDecisions.approve(
            log.deployment("d2"), environment: log.environment("shop-prod"), approver: approver, comment: "ok",
            governance: GovernanceInputs(nowMicroseconds: Self.now))
        #expect(again.writes.map(\.streamID) == [DomainIDs.deploymentStream("d2")], "recorded, not released: d1 is in flight")
        try log.apply(again)
        #expect(log.environment("shop-prod")?.inFlight == "d1" && log.deployment("d2")?.status == .awaitingApproval)
    }
}
