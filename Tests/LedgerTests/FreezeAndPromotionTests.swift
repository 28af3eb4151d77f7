import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Freeze windows (cron in a time zone, across the DST change; one-off), break-glass, and
/// promotion from an upstream environment — as pure decisions against an in-memory log.
@Suite struct FreezeAndPromotionTests {
    let decisions = DeploymentDecisionTests()
    let ana = DeploymentDecisions.Request(actor: "ana", deploymentID: "d1", person: "ana")

    static func instant(_ text: String) -> Int64 { Timestamps.parse(text)! }

    /// Friday 20:00 to Monday 06:00, Berlin time.
    static let weekend = FreezeWindow(name: "weekend", cronStart: "0 20 * * 5", cronEnd: "0 6 * * 1", timeZone: "Europe/Berlin")

    @Test func aBerlinWeekendWindowFollowsWallClockTimeAcrossTheMarchChange() {
        // Summer time began on Sunday 29 March 2026 at 02:00 CET: on Monday the window ends at
        // 06:00 CEST = 04:00 UTC, where the Monday before it ended at 06:00 CET = 05:00 UTC.
        #expect(Self.weekend.state(at: Self.instant("2026-03-27T18:59:00Z")).active == false, "Friday 19:59 CET: open")
        #expect(Self.weekend.state(at: Self.instant("2026-03-27T19:00:00Z")).active == true, "Friday 20:00 CET: frozen")
        #expect(Self.weekend.state(at: Self.instant("2026-03-29T01:30:00Z")).active == true, "during the change: frozen")
        #expect(Self.weekend.state(at: Self.instant("2026-03-30T03:59:00Z")).active == true, "Monday 05:59 CEST: frozen")
        #expect(Self.weekend.state(at: Self.instant("2026-03-30T04:00:00Z")).active == false, "Monday 06:00 CEST: open")
        #expect(Self.weekend.state(at: Self.instant("2026-03-23T04:30:00Z")).active == true, "the week before, 05:30 CET: still frozen")
        #expect(Self.weekend.state(at: Self.instant("2026-03-23T05:00:00Z")).active == false, "the week before, 06:00 CET: open")
        #expect(Self.weekend.state(at: Self.instant("2026-03-28T12:00:00Z")).until == Self.instant("2026-03-30T04:00:00Z"))
    }

    @Test func cronFieldsListsRangesStepsAndTheDayRule() throws {
        let zone = try #require(TimeZone(identifier: "UTC"))
        let everyQuarter = try #require(CronSchedule("*/15 9-17 * * 1-5"))
        let friday = Date(timeIntervalSince1970: Double(Self.instant("2026-12-04T12:07:00Z")) / 1_000_000)
        #expect(everyQuarter.previous(atOrBefore: friday, in: zone) == Date(timeIntervalSince1970: Double(Self.instant("2026-12-04T12:00:00Z")) / 1_000_000))
        let saturday = Date(timeIntervalSince1970: Double(Self.instant("2026-12-05T12:00:00Z")) / 1_000_000)
        #expect(everyQuarter.next(after: saturday, in: zone) == Date(timeIntervalSince1970: Double(Self.instant("2026-12-07T09:00:00Z")) / 1_000_000))
        // Day of month and day of week both given: either one matches.
        let firstOrSunday = try #require(CronSchedule("0 0 1 * 0"))
        let wednesday = Date(timeIntervalSince1970: Double(Self.instant("2026-12-02T10:00:00Z")) / 1_000_000)
        #expect(firstOrSunday.previous(atOrBefore: wednesday, in: zone) == Date(timeIntervalSince1970: Double(Self.instant("2026-12-01T00:00:00Z")) / 1_000_000))
        // Including what once trapped (a stepped start beyond its range), found by the API's fuzzer.
        for bad in ["", "* * * *", "60 * * * *", "* 24 * * *", "a b c d e", "*/0 * * * *", "5-1 * * * *", "* * * * 8", "55094/36 * * * *", "60/5 * * * *", "99999999999999999999 * * * *"] {
            #expect(CronSchedule(bad) == nil && CronSchedule.problem(bad) != nil, "'\(bad)'")
        }
        // A schedule that never fires (or only every four years) would make each check search far: refused.
        for rare in ["0 0 30 2 *", "0 0 29 2 *", "0 0 31 4 *"] {
            #expect(CronSchedule(rare) != nil && CronSchedule.unusable(rare)?.contains("once a year") == true, "'\(rare)'")
        }
        #expect(CronSchedule.unusable("0 0 31 * *") == nil && CronSchedule.unusable("0 0 29 2 1") == nil, "monthly on the 31st, and Mondays, fire")
        // A time zone is a name, never a path.
        for zone in ["../../etc/passwd", "Europe/../UTC", "/UTC", "Europe/Atlantis", ""] {
            #expect(FreezeWindow.timeZoneProblem(zone) != nil, "'\(zone)'")
        }
        #expect(FreezeWindow.timeZoneProblem("Europe/Berlin") == nil && FreezeWindow.timeZoneProblem("America/Argentina/Buenos_Aires") == nil)
    }

    func frozen(_ windows: [FreezeWindow]) throws -> DomainLogBuffer {
        var log = try decisions.world()
        try log.apply(ProtectionDecisions.setFreezeWindows(windows, environment: log.environment("shop-prod"), project: nil, ofProject: false))
        return log
    }

    @Test func aFreezeRefusesEveryTriggerUnlessGlassIsBrokenWithThePermissionAndAReason() throws {
        let now = Self.instant("2026-12-24T12:00:00Z")
        let xmas = FreezeWindow(name: "xmas", fromMicroseconds: Self.instant("2026-12-20T00:00:00Z"), toMicroseconds: Self.instant("2026-12-28T00:00:00Z"))
        var log = try frozen([xmas])
        let inputs = GovernanceInputs(nowMicroseconds: now)
        for trigger in [DeploymentTrigger.manual, .gitPush, .scheduled, .webhook] {
            let refusal = decisions.rejection {
                try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(commit: "abc1234"), trigger: trigger, request: ana, governance: inputs)
            }
            #expect(refusal?.code == .frozen && refusal?.message.contains("until 2026-12-28") == true, "\(trigger): \(String(describing: refusal))")
        }
        let noPermission = decisions.rejection {
            try DeploymentDecisions.deploy(
                log.environment("shop-prod"), git: GitReference(commit: "abc1234"),
                request: .init(actor: "x", deploymentID: "d1", breakGlassReason: "outage", mayOverrideFreeze: false), governance: inputs)
        }
        #expect(noPermission?.code == .forbidden)
        let broken = try DeploymentDecisions.deploy(
            log.environment("shop-prod"), git: GitReference(commit: "abc1234"),
            request: .init(actor: "ana", deploymentID: "d1", breakGlassReason: "payment outage, fix 4711"), governance: inputs)
        try log.apply(broken)
        #expect(log.deployment("d1")?.breakGlass == BreakGlass(reason: "payment outage, fix 4711", windows: ["xmas"]))
        // After the window, a plain deploy passes.
        try decisions.finish(&log, "d1", failing: true)
        let later = GovernanceInputs(nowMicroseconds: Self.instant("2026-12-29T00:00:00Z"))
        #expect(throws: Never.self) {
            try DeploymentDecisions.retry(log.environment("shop-prod"), original: log.deployment("d1"), request: .init(actor: "ana", deploymentID: "d2"), governance: later)
        }
        // A retry during it is refused like any other trigger.
        let retry = decisions.rejection {
            try DeploymentDecisions.retry(log.environment("shop-prod"), original: log.deployment("d1"), request: .init(actor: "ana", deploymentID: "d2"), governance: inputs)
        }
        #expect(retry?.code == .frozen)
    }

    @Test func aWindowMayLetRollbacksThroughAndAProjectsWindowsApplyToItsEnvironments() throws {
        var log = try decisions.world()
        try decisions.deploy(&log, "d1", commit: "aaaa111")
        try decisions.finish(&log, "d1")
        try decisions.deploy(&log, "d2", commit: "bbbb222")
        try decisions.finish(&log, "d2")
        let window = FreezeWindow(name: "release-week", fromMicroseconds: 0, toMicroseconds: .max, allowRollbacks: true)
        let inputs = GovernanceInputs(projectFreezes: [window])
        let rollback = try DeploymentDecisions.rollback(log.environment("shop-prod"), target: log.deployment("d1"), request: .init(actor: "ana", deploymentID: "d3"), governance: inputs)
        #expect(!rollback.writes.isEmpty, "the window lets rollbacks through")
        let deploy = decisions.rejection {
            try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(commit: "cccc333"), request: ana, governance: inputs)
        }
        #expect(deploy?.code == .frozen, "the project's window freezes its environment")
    }

    @Test func productionTakesOnlyCommitsThatSucceededInStagingAndRecordsTheEvidence() throws {
        var log = try decisions.world()
        try log.apply(SetupDecisions.createEnvironment(
            id: "shop-staging", name: "staging", project: log.project("shop"), existing: nil, configuration: DeploymentDecisionTests.configuration))
        try log.apply(ProtectionDecisions.protect(log.environment("shop-prod"), rules: ProtectionRules(upstream: "shop-staging"), upstream: log.environment("shop-staging")))
        let inputs = { GovernanceInputs(upstream: log.environment("shop-staging")) }
        let early = decisions.rejection {
            try DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(commit: "abc1234"), request: ana, governance: inputs())
        }
        #expect(early?.code == .notPromoted && early?.message.contains("shop-staging") == true)
        try log.apply(DeploymentDecisions.deploy(log.environment("shop-staging"), git: GitReference(commit: "abc1234def"), request: .init(actor: "ana", deploymentID: "s1")))
        try decisions.finish(&log, "s1")
        try log.apply(DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(commit: "abc1234"), request: ana, governance: inputs()))
        let evidence = try #require(log.deployment("d1")?.promotion)
        #expect(evidence.environmentID == "shop-staging" && evidence.deploymentID == "s1" && evidence.commit == "abc1234def")
        #expect(decisions.rejection {
            try ProtectionDecisions.protect(log.environment("shop-prod"), rules: ProtectionRules(upstream: "shop-prod"), upstream: log.environment("shop-prod"))
        }?.code == .invalid, "an environment is not its own upstream")
    }

    @Test func aProtectedEnvironmentAnEnvironmentWithWaitingDeploymentsAndAFrozenOneAreNotDestroyed() throws {
        var log = try decisions.world()
        let ops = DeploymentDecisions.Request(actor: "ops", deploymentID: "x1")
        try log.apply(ProtectionDecisions.protect(log.environment("shop-prod"), rules: ProtectionRules(requiredApprovals: 1)))
        #expect(decisions.rejection { try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: ops) }?.code == .forbidden)
        try log.apply(DeploymentDecisions.deploy(log.environment("shop-prod"), git: GitReference(commit: "abc1234"), request: ana))
        try log.apply(ProtectionDecisions.protect(log.environment("shop-prod"), rules: nil))
        let waiting = decisions.rejection { try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: ops) }
        #expect(waiting?.code == .wrongStatus && waiting?.message.contains("awaits approval") == true)
        try log.apply(DeploymentDecisions.cancel(log.deployment("d1"), reason: nil))
        let frozen = GovernanceInputs(projectFreezes: [FreezeWindow(name: "launch", fromMicroseconds: 0, toMicroseconds: .max)])
        #expect(decisions.rejection {
            try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: ops, governance: frozen)
        }?.code == .frozen)
        #expect(throws: Never.self) { try DeploymentDecisions.destroy(log.environment("shop-prod"), deleteData: false, request: ops) }
    }
}
