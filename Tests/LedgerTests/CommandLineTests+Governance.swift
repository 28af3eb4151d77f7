import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Governed change from the `ledger` binary: protect, deploy (it waits), approve as the
/// requester (refused, exit 2), approve as two reviewers (released), freeze and break glass.
extension CommandLineTests {
    @Test func theCommandLineProtectsApprovesFreezesAndBreaksGlass() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: ops)
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)

            let protect = try await ledger("environments protect shop-prod --approvals 2 --reviewer bea --reviewer carl --actor olga", on: db)
            #expect(protect.status == 0 && protect.output.contains("protected shop-prod"), "\(protect.errors)")
            let deploy = try await ledger("deploy --environment shop-prod --commit abc1234 --actor ana", on: db)
            #expect(deploy.status == 0, "\(deploy.errors)")
            let id = deploy.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await service.deployment(id)?.status == .awaitingApproval)

            let own = try await ledger("approve \(id) --comment 'lgtm' --actor ana", on: db)
            #expect(own.status == 2 && own.errors.contains("may not approve"), "\(own.errors)")
            let first = try await ledger("approve \(id) --comment 'diff read' --actor bea", on: db)
            #expect(first.status == 0 && first.output.contains("waits for more approvals"), "\(first.errors)")
            let second = try await ledger("approve \(id) --comment 'tests green' --actor carl --json", on: db)
            #expect(second.status == 0 && second.output.contains(#""status":"pending""#), "\(second.errors)")
            #expect(try await service.environment("shop-prod")?.inFlight == id)
            try await service.cancel(id, context: ops)

            let freeze = try await ledger(
                "environments freeze shop-prod --name launch --from 2020-01-01T00:00:00Z --to 2100-01-01T00:00:00Z --actor olga", on: db)
            #expect(freeze.status == 0, "\(freeze.errors)")
            let lifted = try await ledger("environments protect shop-prod --actor olga", on: db)
            #expect(lifted.status == 0 && lifted.output.contains("removed the protection"), "\(lifted.errors)")
            let frozen = try await ledger("deploy --environment shop-prod --commit def5678 --actor ana", on: db)
            #expect(frozen.status == 2 && frozen.errors.contains("frozen (launch)"), "\(frozen.errors)")
            let glass = try await ledger("deploy --environment shop-prod --commit def5678 --actor ana --break-glass 'checkout down'", on: db)
            #expect(glass.status == 0, "\(glass.errors)")
            let broken = try await service.deployment(glass.output.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(broken?.breakGlass?.reason == "checkout down")
            let badWindow = try await ledger("environments freeze shop-prod --name bad --cron-start '61 * * * *' --cron-end '0 * * * *'", on: db)
            #expect(badWindow.status == 2 && badWindow.errors.contains("minute"), "\(badWindow.errors)")
        }
    }
}
