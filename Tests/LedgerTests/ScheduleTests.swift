import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Scheduled deployments: due once or on a cron schedule, requested with the trigger
/// `scheduled` through every rule (approvals, freezes), each occurrence once, on behalf of the
/// person who scheduled it; in a freeze an occurrence waits or is skipped, and the log says so.
@Suite(.serialized) struct ScheduleTests {
    static let minute: Int64 = 60_000_000

    @Test func anOccurrenceIsDueOnceAndALaterOneReplacesOneAFreezeHolds() throws {
        var nightly = DeploymentSchedule(
            scheduleID: "nightly", git: GitReference(branch: "main"), cron: "0 2 * * *", timeZone: "Europe/Berlin", requestedBy: "ana",
            createdAtMicroseconds: Timestamps.parse("2026-03-27T12:00:00Z")!)
        #expect(nightly.due(at: Timestamps.parse("2026-03-27T23:00:00Z")!) == nil, "02:00 Berlin has not come yet")
        // Summer time began at 02:00 on the 29th: that night 02:00 does not exist; it fires at 03:00 CEST (01:00Z).
        let saturday = Timestamps.parse("2026-03-28T01:00:00Z")!
        #expect(nightly.due(at: Timestamps.parse("2026-03-28T01:30:00Z")!) == saturday, "02:00 CET")
        nightly.lastOccurrence = saturday
        #expect(nightly.due(at: Timestamps.parse("2026-03-28T12:00:00Z")!) == nil, "dealt with")
        #expect(nightly.due(at: Timestamps.parse("2026-03-29T01:30:00Z")!) == Timestamps.parse("2026-03-29T01:00:00Z")!)
        nightly.waitingOccurrence = Timestamps.parse("2026-03-29T01:00:00Z")!
        #expect(nightly.due(at: Timestamps.parse("2026-03-30T00:30:00Z")!) == Timestamps.parse("2026-03-30T00:00:00Z")!, "02:00 CEST the next night replaces it")
        var once = DeploymentSchedule(scheduleID: "once", git: GitReference(tag: "v1"), atMicroseconds: 100, requestedBy: "ana", createdAtMicroseconds: 0)
        #expect(once.due(at: 99) == nil && once.due(at: 100) == 100)
        once.lastOccurrence = 100
        #expect(once.due(at: 1_000) == nil)
        #expect(!DeploymentSchedule(scheduleID: "Bad Id", git: GitReference(), requestedBy: "a", createdAtMicroseconds: 0).problems.isEmpty)
    }

    func world(_ body: @escaping @Sendable (TestContext, DeploymentService) async throws -> Void) async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: ops)
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
            try await body(db, service)
        }
    }

    static func person(_ name: String) -> CommandContext {
        var context = CommandContext(actor: "user:\(name)")
        context.person = name
        context.role = .orgAdmin
        return context
    }

    @Test func aDueOccurrenceIsRequestedOnceAsScheduledOnBehalfOfWhoeverScheduledIt() async throws {
        try await world { db, service in
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            try await service.schedule("release", environment: "shop-prod", git: GitReference(commit: "abc1234", tag: "v1.2"), at: now - Self.minute, context: Self.person("ana"))
            let scheduler = DeploymentScheduler(service: service, logger: TestDatabase.logger, now: { now })
            try await scheduler.tick(["shop-prod"])
            try await scheduler.tick(["shop-prod"])
            let environment = try #require(try await service.environment("shop-prod"))
            #expect(environment.deploymentCount == 1, "one occurrence, one deployment, however often the scheduler looks")
            let inFlight = try #require(environment.inFlight)
            let deployment = try #require(try await service.deployment(inFlight))
            #expect(deployment.trigger == .scheduled && deployment.requester == "ana" && deployment.git.tag == "v1.2")
            #expect(environment.schedules.first?.lastOccurrence == now - Self.minute)
        }
    }

    @Test func inAFreezeAnOccurrenceWaitsOrIsSkippedAndIntoAProtectedEnvironmentItWaitsForApproval() async throws {
        try await world { db, service in
            let ops = CommandContext(actor: "ops")
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            try await service.setFreezeWindows(
                [FreezeWindow(name: "launch", fromMicroseconds: now - 10 * Self.minute, toMicroseconds: now + 10 * Self.minute)], environment: "shop-prod", context: ops)
            try await service.schedule("patient", environment: "shop-prod", git: GitReference(commit: "abc1234"), at: now - Self.minute, context: Self.person("ana"))
            try await service.schedule(
                "hasty", environment: "shop-prod", git: GitReference(commit: "def5678"), at: now - Self.minute, inFreeze: .skip, context: Self.person("ana"))
            let during = try await service.runDueSchedules(environment: "shop-prod", now: now)
            #expect(Set(during.map { "\($0.scheduleID):\($0.outcome.rawValue)" }) == ["patient:waiting", "hasty:skipped"], "\(during)")
            #expect(during.allSatisfy { $0.reason?.contains("frozen (launch)") == true })
            #expect(try await service.runDueSchedules(environment: "shop-prod", now: now + Self.minute).isEmpty, "the wait is said once")
            #expect(try await service.environment("shop-prod")?.deploymentCount == 0)

            // Protected meanwhile: after the freeze, the waiting occurrence is requested and waits for approval.
            try await service.protect(environment: "shop-prod", rules: ProtectionRules(requiredApprovals: 1), context: ops)
            let after = try await service.runDueSchedules(environment: "shop-prod", now: now + 11 * Self.minute)
            #expect(after.map { "\($0.scheduleID):\($0.outcome.rawValue)" } == ["patient:requested"], "\(after)")
            let id = try #require(after.first?.deploymentID)
            #expect(try await service.deployment(id)?.status == .awaitingApproval)
            await #expect(throws: CommandRejection.self, "ana scheduled it: she may not approve it") {
                try await service.approve(id, comment: "mine", context: Self.person("ana"))
            }
            // (This clock is the real one: the window is still in force for it, so it is lifted first.)
            try await service.setFreezeWindows([], environment: "shop-prod", context: ops)
            try await service.approve(id, comment: "ok", context: Self.person("bea"))
            #expect(try await service.deployment(id)?.status == .pending)
        }
    }

    @Test func aWaitTimerHoldsAnApprovedDeploymentUntilItRunsOutAndTheSchedulerThenReleasesIt() async throws {
        try await world { db, service in
            let ops = CommandContext(actor: "ops")
            try await service.protect(environment: "shop-prod", rules: ProtectionRules(requiredApprovals: 1, waitMinutes: 30), context: ops)
            let requested = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let id = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: Self.person("ana")).deploymentID)
            try await service.approve(id, comment: "ok", context: Self.person("bea"))
            #expect(try await service.deployment(id)?.status == .awaitingApproval, "approved, but the timer runs 30 minutes")
            let notBefore = try #require(try await service.deployment(id)?.approval?.notBeforeMicroseconds)
            #expect(notBefore >= requested + 30 * Self.minute && notBefore < requested + 31 * Self.minute)
            let early = DeploymentScheduler(service: service, logger: TestDatabase.logger, now: { notBefore - Self.minute })
            try await early.tick(["shop-prod"])
            #expect(try await service.deployment(id)?.status == .awaitingApproval)
            let due = DeploymentScheduler(service: service, logger: TestDatabase.logger, now: { notBefore })
            try await due.tick(["shop-prod"])
            #expect(try await service.deployment(id)?.status == .pending, "released when the timer ran out")
            #expect(try await service.environment("shop-prod")?.inFlight == id)
            // A wait timer alone holds a branch deploy too (no approval, so no commit needed).
            try await service.cancel(id, context: ops)
            try await service.protect(environment: "shop-prod", rules: ProtectionRules(waitMinutes: 5), context: ops)
            let branch = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(branch: "main"), context: ops).deploymentID)
            #expect(try await service.deployment(branch)?.status == .awaitingApproval)
            try await DeploymentScheduler(service: service, logger: TestDatabase.logger, now: { requested + 6 * Self.minute }).tick(["shop-prod"])
            #expect(try await service.deployment(branch)?.status == .pending)
        }
    }
}
