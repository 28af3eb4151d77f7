import Executors
import Foundation
import Gateway
import Ledger
import LedgerAccess
import LedgerDomain
import LedgerTestSupport
import Testing

/// Governed change through the API on a real PostgreSQL: every trigger into a protected
/// environment waits for approval; its requester (the person behind any of their tokens, or a
/// push's author) cannot approve; two eligible people release it; a configuration change in
/// between voids what was approved; and a refusal is a 4xx with a JSON body that changes nothing.
@Suite(.serialized) struct ApprovalAPITests {
    /// Tokens of people: ana requests (two tokens), bea and carl review, ada wrote the pushed commit.
    struct People {
        let ana: String
        let anaCI: String
        let bea: String
        let carl: String
        let ada: String
        let owner: String
    }

    func people(_ world: DeploymentAPITests.World) async throws -> People {
        let tokens = GatewayTests.tokens(world.db)
        let ops = CommandContext(actor: "ops")
        func issue(_ name: String, _ role: Role, user: String) async throws -> String {
            let issued = try await tokens.issue(
                name: name, role: role, organisation: "acme", project: role.isProjectRole ? "shop" : nil, user: user, context: ops)
            return issued.secret.text
        }
        return People(
            ana: try await issue("ana-laptop", .projectAdmin, user: "ana@acme.test"), anaCI: try await issue("ana-ci", .orgAdmin, user: "ana@acme.test"),
            bea: try await issue("bea", .orgAdmin, user: "bea@acme.test"), carl: try await issue("carl", .projectAdmin, user: "carl@acme.test"),
            ada: try await issue("ada", .orgAdmin, user: "ada@acme.test"), owner: try await issue("owner", .orgOwner, user: "olga@acme.test"))
    }

    static func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    /// Protects shop-prod: two approvals by org admins or carl.
    func protect(_ world: DeploymentAPITests.World, _ people: People) async throws {
        let rules = #"{"required_approvals": 2, "reviewer_roles": ["org_admin"], "reviewer_users": ["carl@acme.test"]}"#
        let (refused, refusal, _) = try await world.send("PUT", "/api/v1/environments/shop-prod/protection", token: people.ana, body: rules)
        #expect(refused == 403 && Self.code(refusal) == "forbidden", "a project admin may not change the rules")
        let (status, body, raw) = try await world.send("PUT", "/api/v1/environments/shop-prod/protection", token: people.owner, body: rules)
        #expect(status == 200 && body["protected"] as? Bool == true && body["required_approvals"] as? Int == 2, "\(raw)")
    }

    func deployment(_ world: DeploymentAPITests.World, _ id: String, token: String) async throws -> [String: Any] {
        let (status, body, raw) = try await world.send("GET", "/api/v1/deployments/\(id)", token: token)
        #expect(status == 200, "\(raw)")
        return body
    }

    func approve(_ world: DeploymentAPITests.World, _ id: String, token: String, verb: String = "approve") async throws -> (Int, [String: Any], String) {
        try await world.send("POST", "/api/v1/deployments/\(id)/\(verb)", token: token, body: #"{"comment": "checked the diff"}"#)
    }

    @Test func aDeployWaitsTheRequesterCannotApproveAConfigurationChangeVoidsAndTwoApprovalsReleaseIt() async throws {
        try await DeploymentAPITests().withWorld { world in
            let people = try await people(world)
            try await protect(world, people)
            let (created, requested, raw) = try await world.send(
                "POST", "/api/v1/deployments", token: people.ana, body: #"{"environment_id": "shop-prod", "git_branch": "main", "git_commit": "abc1234"}"#)
            #expect(created == 201 && requested["status"] as? String == "awaiting_approval", "\(raw)")
            #expect(requested["requester"] as? String == "ana@acme.test")
            let id = try #require(requested["id"] as? String)
            let (_, environment, _) = try await world.send("GET", "/api/v1/environments/shop-prod", token: people.ana)
            #expect(environment["in_flight"] is NSNull || environment["in_flight"] == nil, "a waiting deployment holds no lock")
            #expect(environment["awaiting_approval"] as? [String] == [id])

            // The requester, through either of her tokens, may not approve; nor may someone the rules do not name.
            let head = try await world.db.store.headPosition()
            for token in [people.ana, people.anaCI] {
                let (status, body, text) = try await approve(world, id, token: token)
                #expect(status == 403 && Self.code(body) == "forbidden" && text.contains("may not approve"), "\(text)")
            }
            let (ineligible, refusal, _) = try await approve(world, id, token: world.admin)
            #expect(ineligible == 403 && Self.code(refusal) == "forbidden")
            let (member, _, _) = try await approve(world, id, token: world.member)
            #expect(member == 403, "a project member lacks project.deployments.approve")
            let (noComment, _, _) = try await world.send("POST", "/api/v1/deployments/\(id)/approve", token: people.bea, body: "{}")
            #expect(noComment == 422)
            #expect(try await world.db.store.headPosition() == head, "refusals write nothing")

            let (first, afterFirst, firstText) = try await approve(world, id, token: people.bea)
            #expect(first == 200 && afterFirst["status"] as? String == "awaiting_approval", "\(firstText)")
            #expect((afterFirst["approval"] as? [String: Any])?["standing_approvals"] as? Int == 1)

            // A change of configuration voids bea's approval: the deployment now runs the new one.
            let (patched, _, patchText) = try await world.send("PATCH", "/api/v1/environments/shop-prod", token: people.owner, body: #"{"branch": "main", "cpu_millicores": 2}"#)
            #expect(patched == 200, "\(patchText)")
            let voided = try #require(try await deployment(world, id, token: people.ana)["approval"] as? [String: Any])
            #expect(voided["standing_approvals"] as? Int == 0 && voided["voided_approvals"] as? Int == 1, "\(voided)")

            let (second, _, _) = try await approve(world, id, token: people.carl)
            let (third, released, text) = try await approve(world, id, token: people.bea)
            #expect(second == 200 && third == 200 && released["status"] as? String == "pending", "\(text)")
            let approval = try #require(released["approval"] as? [String: Any])
            #expect(approval["granted_by"] as? [String] == ["carl@acme.test", "bea@acme.test"])
            let (_, busy, _) = try await world.send("GET", "/api/v1/environments/shop-prod", token: people.ana)
            #expect(busy["in_flight"] as? String == id, "released: it holds the environment now")

            // The audit trail names the people.
            let (_, audit, auditText) = try await world.send("GET", "/api/v1/audit?action=DeploymentApproved", token: people.owner)
            #expect(auditText.contains("user:carl@acme.test") && auditText.contains("user:bea@acme.test"), "\(audit)")

            // The live stream tells of each step of it, as an event kind of its own.
            let (_, _, stream) = try await world.send("GET", "/api/v1/events?deployment_id=\(id)&follow=false", token: people.ana)
            let approvals = stream.components(separatedBy: "\n\n").filter { $0.contains("event: deployment.approval") }
            let changes = approvals.compactMap { message -> String? in
                guard let data = message.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
                    let json = try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any]
                else { return nil }
                return json["change"] as? String
            }
            #expect(changes == ["awaiting", "approved", "voided", "approved", "approved", "granted"], "\(stream)")
        }
    }

    @Test func aPushARetryARollbackAndAServiceCallAllWaitAndARejectionEndsOne() async throws {
        try await DeploymentAPITests().withWorld { world in
            let people = try await people(world)
            let service = DeploymentService(store: world.db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            var simulation = DeploymentSimulator.Configuration()
            simulation.failureRate = 0
            simulation.speed = 1_000
            let simulator = DeploymentSimulator(service: service, configuration: simulation, logger: TestDatabase.logger)
            // Two releases and a failure before the rules exist: something to roll back to and to retry.
            var history: [String] = []
            for commit in ["aaaa111", "bbbb222", "cccc333"] {
                let id = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(branch: "main", commit: commit), context: ops).deploymentID)
                if commit == "cccc333" {
                    try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.fail(state, step: nil, error: "boom") }
                } else {
                    try await simulator.play(id, seed: 1)
                }
                history.append(id)
            }
            try await protect(world, people)
            try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(branch: "main", autoDeploy: true), context: ops)
            let (secret, _, _) = try await world.send("PUT", "/api/v1/projects/shop/webhook-secret", token: world.admin, body: #"{"secret":"\#(WebhookTests.secret)"}"#)
            #expect(secret == 200)

            var waiting: [String: String] = [:]
            let (retried, retry, retryText) = try await world.send("POST", "/api/v1/deployments/\(history[2])/retry", token: people.ana)
            #expect(retried == 200 && retry["status"] as? String == "awaiting_approval", "\(retryText)")
            waiting["retry"] = retry["id"] as? String
            let (rolled, rollback, rollbackText) = try await world.send("POST", "/api/v1/deployments/\(history[0])/rollback", token: people.ana)
            #expect(rolled == 200 && rollback["status"] as? String == "awaiting_approval", "\(rollbackText)")
            waiting["rollback"] = rollback["id"] as? String
            let cli = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "dddd444"), context: CommandContext(actor: "olga", source: "cli"))
            waiting["cli"] = cli.deploymentID
            let push = #"{"ref":"refs/heads/main","after":"eeee5555","head_commit":{"id":"eeee5555","message":"Ship","author":{"name":"Ada","email":"ada@acme.test"}},"commits":[],"repository":{"full_name":"acme/shop"}}"#
            let (delivered, answer, deliveredText) = try await WebhookTests().deliver(world, push, delivery: "d-1", signature: WebhookTests.signature(push))
            #expect(delivered == 202, "\(deliveredText)")
            waiting["push"] = ((answer["deployments"] as? [[String: Any]])?.first)?["deployment_id"] as? String
            #expect(waiting.count == 4 && waiting.values.allSatisfy { !$0.isEmpty }, "\(waiting) \(deliveredText)")

            for (trigger, id) in waiting {
                #expect(try await deployment(world, id, token: people.ana)["status"] as? String == "awaiting_approval", "\(trigger) waits")
            }
            // The push's author may not approve it, through her own token.
            let (author, authorRefusal, _) = try await approve(world, waiting["push"]!, token: people.ada)
            #expect(author == 403 && Self.code(authorRefusal) == "forbidden")
            // The CLI's requester is olga, who also owns a token: she may not approve it either.
            let (requester, _, _) = try await approve(world, waiting["cli"]!, token: people.owner)
            #expect(requester == 403)

            let (rejected, ended, rejectText) = try await approve(world, waiting["rollback"]!, token: people.bea, verb: "reject")
            #expect(rejected == 200 && ended["status"] as? String == "rejected", "\(rejectText)")
            let (cancelled, _, _) = try await world.send("POST", "/api/v1/deployments/\(waiting["retry"]!)/cancel", token: people.ana, body: "{}")
            #expect(cancelled == 200)
            #expect(try await deployment(world, waiting["retry"]!, token: people.ana)["status"] as? String == "cancelled")

            // Two approvals of the push release it; the simulator (an executor) then runs it to the end.
            _ = try await approve(world, waiting["push"]!, token: people.bea)
            let (_, pushReleased, _) = try await approve(world, waiting["push"]!, token: people.carl)
            #expect(pushReleased["status"] as? String == "pending")
            // The CLI's deployment cannot start while the push's holds the environment: its approvals
            // are recorded, and the scheduler releases it once the push has run.
            let (first, _, _) = try await approve(world, waiting["cli"]!, token: people.bea)
            let (busy, busyBody, busyText) = try await approve(world, waiting["cli"]!, token: people.carl)
            let standing = (busyBody["approval"] as? [String: Any])?["standing_approvals"] as? Int
            #expect(first == 200 && busy == 200 && busyBody["status"] as? String == "awaiting_approval" && standing == 2, "\(busyText)")
            let now = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
            #expect(try await service.releaseDue(environment: "shop-prod", now: now()).isEmpty, "not while the push is in flight")
            try await simulator.play(waiting["push"]!, seed: 2)
            try await waitUntil("the approved push has run", within: .seconds(20)) {
                try await deployment(world, waiting["push"]!, token: people.ana)["status"] as? String == "success"
            }
            #expect(try await service.releaseDue(environment: "shop-prod", now: now()) == [waiting["cli"]!])
            // Released by the scheduler (not this caller): the read models hold it a moment later.
            try await waitUntil("the released deployment reads as pending", within: .seconds(20)) {
                try await deployment(world, waiting["cli"]!, token: people.ana)["status"] as? String == "pending"
            }
        }
    }

    @Test func protectionRulesAreValidatedAndShownInTheEnvironmentsHistory() async throws {
        try await DeploymentAPITests().withWorld { world in
            let people = try await people(world)
            let head = try await world.db.store.headPosition()
            for bad in [
                #"{"required_approvals": 7}"#, #"{"allowed_refs": ["-rf"]}"#, #"{"reviewer_roles": ["king"]}"#, #"{"approval_lifetime_hours": 0}"#,
                #"{"reviewer_users": [" padded "]}"#,
            ] {
                let (status, body, raw) = try await world.send("PUT", "/api/v1/environments/shop-prod/protection", token: people.owner, body: bad)
                #expect((400..<500).contains(status) && Self.code(body) != nil, "\(bad) → \(raw)")
            }
            #expect(try await world.db.store.headPosition() == head)
            try await protect(world, people)
            let (_, now, _) = try await world.send("GET", "/api/v1/environments/shop-prod/protection", token: world.member)
            #expect(now["required_approvals"] as? Int == 2)
            let (_, then, thenText) = try await world.send("GET", "/api/v1/environments/shop-prod/history?position=\(head)", token: world.admin)
            let state = then["state"] as? [String: Any]
            #expect(state != nil && (state?["protection"] == nil || state?["protection"] is NSNull), "before the rules: none in force — \(thenText)")
            let (_, stranger, _) = try await world.send("GET", "/api/v1/environments/shop-prod/protection", token: world.stranger)
            #expect(Self.code(stranger) == "not_found")
        }
    }

    @Test func aFreezeHoldsAPushARetryAndADeployAndBreakingGlassNeedsItsPermissionAndIsFlagged() async throws {
        try await DeploymentAPITests().withWorld { world in
            let people = try await people(world)
            let service = DeploymentService(store: world.db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            let failed = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(branch: "main", commit: "aaaa111"), context: ops).deploymentID)
            try await service.execute(deployment: failed, context: ops) { state, _ in try ExecutionDecisions.fail(state, step: nil, error: "boom") }
            try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(branch: "main", autoDeploy: true), context: ops)
            let (secret, _, _) = try await world.send("PUT", "/api/v1/projects/shop/webhook-secret", token: world.admin, body: #"{"secret":"\#(WebhookTests.secret)"}"#)
            #expect(secret == 200)
            // A window over the whole project, from an hour ago for a day.
            let from = Timestamps.format(Int64(Date().timeIntervalSince1970 - 3_600) * 1_000_000)
            let to = Timestamps.format(Int64(Date().timeIntervalSince1970 + 86_400) * 1_000_000)
            let windows = #"{"windows": [{"name": "launch", "from": "\#(from)", "to": "\#(to)"}]}"#
            let (refused, _, _) = try await world.send("PUT", "/api/v1/projects/shop/freeze-windows", token: people.ana, body: windows)
            #expect(refused == 403)
            let (set, frozen, setText) = try await world.send("PUT", "/api/v1/projects/shop/freeze-windows", token: people.owner, body: windows)
            #expect(set == 200 && frozen["active_now"] as? [String] == ["launch"], "\(setText)")

            let head = try await world.db.store.headPosition()
            let (deploy, deployBody, deployText) = try await world.send(
                "POST", "/api/v1/deployments", token: people.ana, body: #"{"environment_id": "shop-prod", "git_commit": "bbbb222"}"#)
            #expect(deploy == 409 && Self.code(deployBody) == "frozen" && deployText.contains("launch"), "\(deployText)")
            let (retry, retryBody, _) = try await world.send("POST", "/api/v1/deployments/\(failed)/retry", token: people.ana)
            #expect(retry == 409 && Self.code(retryBody) == "frozen")
            let push = #"{"ref":"refs/heads/main","after":"cccc3333","head_commit":{"id":"cccc3333","message":"Ship","author":{"name":"Ada","email":"ada@acme.test"}},"commits":[],"repository":{"full_name":"acme/shop"}}"#
            let (_, answer, pushText) = try await WebhookTests().deliver(world, push, delivery: "frozen-1", signature: WebhookTests.signature(push))
            let skipped = (answer["skipped"] as? [[String: Any]])?.first
            #expect(skipped?["code"] as? String == "frozen" && (answer["deployments"] as? [Any])?.isEmpty == true, "\(pushText)")
            // A project admin may not break glass; an org admin may, with a reason, and the record says so.
            let glass = #"{"environment_id": "shop-prod", "git_commit": "bbbb222", "break_glass_reason": "checkout is down, hotfix 4711"}"#
            let (noGlass, noGlassBody, _) = try await world.send("POST", "/api/v1/deployments", token: people.ana, body: glass)
            #expect(noGlass == 403 && Self.code(noGlassBody) == "forbidden")
            #expect(try await world.db.store.headPosition() == head, "the frozen deploy, retry and push and the refused break-glass wrote nothing")
            let (broke, broken, brokeText) = try await world.send("POST", "/api/v1/deployments", token: people.bea, body: glass)
            #expect(broke == 201, "\(brokeText)")
            let flag = broken["break_glass"] as? [String: Any]
            #expect(flag?["reason"] as? String == "checkout is down, hotfix 4711" && flag?["windows"] as? [String] == ["launch"], "\(brokeText)")
            let (_, _, audit) = try await world.send("GET", "/api/v1/audit?action=DeploymentRequested", token: people.owner)
            #expect(audit.contains("BREAK-GLASS") && audit.contains("user:bea@acme.test"), "\(audit.prefix(2_000))")
        }
    }
}
