import Executors
import Foundation
import Gateway
import Ledger
import LedgerAccess
import LedgerDomain
import LedgerTestSupport
import Projections
import Testing

/// The compliance report of a seeded period equals what was worked out by hand from the story
/// below, through the API (JSON and CSV); and its integrity section fails when an event in the
/// range it was read from is tampered with.
@Suite(.serialized) struct ComplianceReportTests {
    @Test func aSeededPeriodReportsWhatHappenedAndATamperedEventFailsItsIntegrity() async throws {
        try await DeploymentAPITests().withWorld { world in
            let service = DeploymentService(store: world.db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            func person(_ name: String, role: Role? = .orgAdmin) -> CommandContext {
                var context = CommandContext(actor: "user:\(name)")
                context.person = name
                context.role = role
                return context
            }
            var simulation = DeploymentSimulator.Configuration()
            simulation.failureRate = 0
            simulation.speed = 1_000
            let simulator = DeploymentSimulator(service: service, configuration: simulation, logger: TestDatabase.logger)
            let start = Int64(Date().timeIntervalSince1970 * 1_000_000)

            // The story: staging takes a commit; production (promotion from staging, two approvals by
            // bea or carl) takes it after both approve; then, in a freeze, olga breaks glass for a
            // second deployment, which bea rejects; a commit never staged is refused (not reported).
            try await service.createEnvironment(
                id: "shop-staging", project: "shop", name: "staging",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
            let staged = try #require(try await service.deploy(environment: "shop-staging", git: GitReference(commit: "aaaa111"), context: ops).deploymentID)
            try await simulator.play(staged, seed: 1)
            try await service.protect(
                environment: "shop-prod", rules: ProtectionRules(requiredApprovals: 2, reviewers: .init(users: ["bea", "carl"]), upstream: "shop-staging"),
                context: ops)
            let first = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(commit: "aaaa111"), context: person("ana")).deploymentID)
            try await service.approve(first, comment: "diff read", context: person("bea"))
            try await service.approve(first, comment: "tests green", context: person("carl", role: .projectAdmin))
            try await simulator.play(first, seed: 2)
            await #expect(throws: CommandRejection.self) {
                try await service.deploy(environment: "shop-prod", git: GitReference(commit: "bbbb222"), context: person("ana"))
            }
            try await service.setFreezeWindows(
                [FreezeWindow(name: "launch", fromMicroseconds: start, toMicroseconds: start + 3_600_000_000)], environment: "shop-prod", context: ops)
            let second = try #require(try await service.deploy(
                environment: "shop-prod", git: GitReference(commit: "aaaa111"), force: true, breakGlass: "hotfix 4711", context: person("olga")).deploymentID)
            try await service.reject(second, comment: "not during the launch", context: person("bea"))
            let end = Int64(Date().timeIntervalSince1970 * 1_000_000) + 1_000_000

            let report = try await service.complianceReport(environment: "shop-prod", from: start, to: end, context: ops)
            // By hand: two changes, in order.
            struct Row: Equatable {
                var id: String, number: Int, status: String, requester: String, counted: [String], separation: String
                var promotedFrom: String?, breakGlass: String?, rejectedBy: String?, commit: String?
            }
            let rows = report.changes.map {
                Row(
                    id: $0.deploymentID, number: $0.number, status: $0.status, requester: $0.requester, counted: $0.approvals.filter(\.counted).map(\.user),
                    separation: $0.separationOfDuties, promotedFrom: $0.promotion?.deploymentID, breakGlass: $0.breakGlass?.reason,
                    rejectedBy: $0.rejection?.user, commit: $0.commit)
            }
            #expect(rows == [
                Row(id: first, number: 1, status: "success", requester: "ana", counted: ["bea", "carl"], separation: "held",
                    promotedFrom: staged, breakGlass: nil, rejectedBy: nil, commit: "aaaa111"),
                Row(id: second, number: 2, status: "rejected", requester: "olga", counted: [], separation: "pending",
                    promotedFrom: staged, breakGlass: "hotfix 4711", rejectedBy: "bea", commit: "aaaa111"),
            ])
            #expect(report.changes.first?.rulesInForce?.requiredApprovals == 2, "the rules in force then")
            #expect(report.changes.allSatisfy { $0.configurationFingerprint.hasPrefix("sha256:") })
            let integrity = try #require(report.integrity)
            #expect(integrity.isClean && integrity.eventsChecked >= 10, "\(integrity)")

            // The API answers the same, as JSON and CSV, to someone who may read the audit trail only.
            let auditor = try await GatewayTests.tokens(world.db).issue(name: "auditor", role: .orgAdmin, organisation: "acme", project: nil, context: ops).secret.text
            let window = "from=\(Timestamps.format(start))&to=\(Timestamps.format(end))".replacingOccurrences(of: "+", with: "%2B")
            let (status, json, raw) = try await world.send("GET", "/api/v1/compliance/report?environment_id=shop-prod&\(window)", token: auditor)
            #expect(status == 200 && (json["changes"] as? [[String: Any]])?.compactMap { $0["deployment_id"] as? String } == [first, second], "\(raw)")
            let (member, _, _) = try await world.send("GET", "/api/v1/compliance/report?environment_id=shop-prod", token: world.member)
            #expect(member == 403)
            let (stranger, _, _) = try await world.send("GET", "/api/v1/compliance/report?environment_id=shop-prod", token: world.stranger)
            #expect(stranger == 404)
            let (_, _, csv) = try await world.send("GET", "/api/v1/compliance/report?environment_id=shop-prod&format=csv&\(window)", token: auditor)
            let lines = csv.split(separator: "\n")
            #expect(lines.first.map(String.init) == ComplianceExport.columns.joined(separator: ","))
            #expect(lines.count == 4 && lines[1].contains("held") && lines[2].contains("hotfix 4711") && lines[3].hasPrefix("# integrity") && lines[3].contains("verified"), "\(csv)")

            // An approval rewritten behind the ledger's back: the report's integrity names the position.
            let approved = try await world.db.store.read(stream: DomainIDs.deploymentStream(first)).first { $0.type == DeploymentApproved.eventType }
            let position = try #require(approved?.position)
            try await world.db.tamper(
                #"UPDATE ledger.events SET data = convert_to(replace(convert_from(data, 'UTF8'), '"bea"', '"mallory"'), 'UTF8') WHERE position = \#(position)"#)
            let tampered = try await service.complianceReport(environment: "shop-prod", from: start, to: end, context: ops)
            #expect(tampered.changes.first?.approvals.map(\.user) == ["mallory", "carl"], "the rewritten record reads as rewritten…")
            #expect(tampered.integrity?.isClean == false && tampered.integrity?.problems.contains { $0.contains("position \(position)") } == true, "\(String(describing: tampered.integrity))")
        }
    }
}
