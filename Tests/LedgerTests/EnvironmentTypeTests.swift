import Foundation
import Gateway
import Ledger
import LedgerAccess
import LedgerDomain
import LedgerTestSupport
import Testing

/// Environment types and their automation defaults (the seed's table: development deploys and
/// deletes with its branch, staging deploys, production neither, its auto-delete locked off), and
/// the per-environment opt-out of push automation — through the API and a signed push.
@Suite(.serialized) struct EnvironmentTypeTests {
    @Test func typesSetTheDefaultsProductionLocksAutoDeleteOffAndTheDecisionEnforcesIt() throws {
        #expect(EnvironmentType.allCases.map { [$0.defaultAutoDeploy, $0.defaultAutoDelete, $0.autoDeleteLocked] } == [
            [false, false, true], [true, false, false], [true, true, false], [true, false, false],
        ])
        var log = try DeploymentDecisionTests().world()
        var configuration = DeploymentDecisionTests.configuration
        configuration.autoDelete = true
        let refused = DeploymentDecisionTests().rejection {
            try SetupDecisions.createEnvironment(
                id: "shop-live", name: "live", project: log.project("shop"), existing: nil, configuration: configuration, type: .production)
        }
        #expect(refused?.code == .invalid && refused?.message.contains("always off for production") == true)
        configuration.autoDelete = false
        try log.apply(SetupDecisions.createEnvironment(
            id: "shop-live", name: "live", project: log.project("shop"), existing: nil, configuration: configuration, type: .production))
        #expect(log.environment("shop-live")?.type == .production)
        configuration.autoDelete = true
        #expect(DeploymentDecisionTests().rejection {
            try SetupDecisions.configureEnvironment(log.environment("shop-live"), configuration: configuration)
        }?.code == .invalid, "nor can it be switched on later")
    }

    @Test func theAPIAppliesTheDefaultsADeletedBranchDestroysWhatAutoDeletesAndAnOptOutIsSkipped() async throws {
        try await WebhookTests().withHooks { world in
            // Where an environment runs is code: an org admin sets it.
            let issued = try await GatewayTests.tokens(world.db).issue(
                name: "olga", role: .orgAdmin, organisation: "acme", project: nil, context: CommandContext(actor: "ops"))
            let orgAdmin = issued.secret.text
            func create(_ body: String) async throws -> [String: Any] {
                let (status, answer, raw) = try await world.send("POST", "/api/v1/environments", token: orgAdmin, body: body)
                #expect(status == 201, "\(raw)")
                return answer["configuration"] as? [String: Any] ?? [:]
            }
            let live = try await create(#"{"id": "shop-live", "project_id": "shop", "type": "production", "configuration": {"host": "h", "branch": "feature-x"}}"#)
            #expect(live["auto_deploy"] as? Bool == false && live["auto_delete"] as? Bool == false)
            let preview = try await create(#"{"id": "shop-preview", "project_id": "shop", "type": "development", "configuration": {"host": "h", "branch": "feature-x"}}"#)
            #expect(preview["auto_deploy"] as? Bool == true && preview["auto_delete"] as? Bool == true)
            let quiet = try await create(
                #"{"id": "shop-quiet", "project_id": "shop", "type": "development", "configuration": {"host": "h", "branch": "feature-x", "push_automation": false}}"#)
            #expect(quiet["auto_deploy"] as? Bool == true && quiet["push_automation"] as? Bool == false)
            let (locked, refusal, _) = try await world.send("PATCH", "/api/v1/environments/shop-live", token: world.admin, body: #"{"auto_delete": true}"#)
            #expect(locked == 422 && (refusal["error"] as? [String: Any])?["code"] as? String == "invalid")

            let push = WebhookTests.push(branch: "feature-x", commit: "f00d1234567", files: ["app.py"])
            let (pushed, answer, pushText) = try await WebhookTests().deliver(world, push, delivery: "types-1", signature: WebhookTests.signature(push))
            let deployed = (answer["deployments"] as? [[String: Any]])?.compactMap { $0["environment_id"] as? String }
            let skipped = (answer["skipped"] as? [[String: Any]])?.compactMap { $0["environment_id"] as? String }
            #expect(pushed == 202 && deployed == ["shop-preview"] && skipped == ["shop-quiet"], "\(pushText)")

            let deletion = #"{"ref":"refs/heads/feature-x","after":"0000000000000000000000000000000000000000","deleted":true,"commits":[],"repository":{"full_name":"acme/shop"}}"#
            try await waitUntil("the preview's deployment is recorded", within: .seconds(20)) {
                let (_, env, _) = try await world.send("GET", "/api/v1/environments/shop-preview", token: world.admin)
                return env["in_flight"] is String
            }
            // The preview's deployment is still in flight: cancel it, so the deletion can tear it down.
            let (_, env, _) = try await world.send("GET", "/api/v1/environments/shop-preview", token: world.admin)
            _ = try await world.send("POST", "/api/v1/deployments/\(env["in_flight"] as? String ?? "")/cancel", token: world.admin, body: "{}")
            let (deleted, deletedAnswer, deletedText) = try await WebhookTests().deliver(
                world, deletion, delivery: "types-2", signature: WebhookTests.signature(deletion))
            let destroyed = (deletedAnswer["destroyed"] as? [[String: Any]])?.compactMap { $0["environment_id"] as? String }
            #expect(deleted == 202 && destroyed == ["shop-preview"], "production and the opted-out one stay: \(deletedText)")
            try await waitUntil("the preview is destroyed", within: .seconds(20)) {
                let (_, env, _) = try await world.send("GET", "/api/v1/environments/shop-preview", token: world.admin)
                return env["status"] as? String == "destroyed"
            }
            let (_, stays, _) = try await world.send("GET", "/api/v1/environments/shop-live", token: world.admin)
            #expect(stays["status"] as? String != "destroyed" && stays["type"] as? String == "production")
        }
    }
}
