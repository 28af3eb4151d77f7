import Crypto
import Foundation
import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Testing

/// Git webhooks: a signed push deploys the environments that auto-deploy its branch, fast or
/// full by its changed files; unsigned, wrongly signed and replayed deliveries write nothing;
/// the secret never shows in the log or an answer; webhooks have their own rate limit.
@Suite(.serialized) struct WebhookTests {
    static let secret = "s3cret-webhook-key-0123"

    static func push(branch: String = "main", commit: String = "c0ffee1234567", files: [String]) -> String {
        let commits = #"[{"id":"\#(commit)","added":[],"modified":\#(try! String(decoding: JSONSerialization.data(withJSONObject: files), as: UTF8.self)),"removed":[]}]"#
        return #"{"ref":"refs/heads/\#(branch)","after":"\#(commit)","head_commit":{"id":"\#(commit)","message":"Ship it\nwith details","author":{"name":"Ada"}},"commits":\#(commits),"repository":{"full_name":"acme/shop","clone_url":"https://git.example/acme/shop.git"}}"#
    }

    static func signature(_ body: String, secret: String = secret) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// The world with `shop-prod` and `shop-canary` auto-deploying main, `shop-dev` auto-deploying
    /// dev, and `shop-manual` not auto-deploying; and the project's webhook secret set.
    func withHooks(options: GatewayOptions = .init(), _ body: @escaping @Sendable (DeploymentAPITests.World) async throws -> Void) async throws {
        try await DeploymentAPITests().withWorld(options: options) { world in
            let service = DeploymentService(store: world.db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(branch: "main", autoDeploy: true), context: ops)
            for (id, branch, auto) in [("shop-canary", "main", true), ("shop-dev", "dev", true), ("shop-manual", "main", false)] {
                try await service.createEnvironment(
                    id: id, project: "shop", name: id,
                    configuration: EnvironmentConfiguration(
                        host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1), branch: branch, autoDeploy: auto), context: ops)
            }
            let (status, _, raw) = try await world.send(
                "PUT", "/api/v1/projects/shop/webhook-secret", token: world.admin, body: #"{"secret":"\#(Self.secret)"}"#)
            #expect(status == 200 && !raw.contains(Self.secret), "\(raw)")
            try await waitUntil("the read models have every environment", within: .seconds(20)) {
                let (code, _, list) = try await world.send("GET", "/api/v1/environments?project_id=shop", token: world.admin)
                return code == 200 && list.contains("shop-manual")
            }
            try await body(world)
        }
    }

    func deliver(
        _ world: DeploymentAPITests.World, _ body: String, delivery: String, signature: String?, event: String = "push", query: String = "?project_id=shop"
    ) async throws -> (Int, [String: Any], String) {
        var headers = ["X-GitHub-Event: \(event)", "X-GitHub-Delivery: \(delivery)", "Content-Type: application/json"]
        if let signature { headers.append("X-Hub-Signature-256: \(signature)") }
        return try await world.send("POST", "/api/v1/webhooks/github\(query)", token: nil, body: body, headers: headers)
    }

    @Test func aSignedPushDeploysTheEnvironmentsOnItsBranchAndAReplayDeploysNothing() async throws {
        try await withHooks { world in
            let body = Self.push(files: ["src/app.py", "README.md"])
            // Found by its repository address, without ?project_id=.
            let (status, answer, raw) = try await deliver(world, body, delivery: "d-1", signature: Self.signature(body), query: "")
            #expect(status == 202, "\(raw)")
            let deployments = try #require(answer["deployments"] as? [[String: Any]])
            #expect(Set(deployments.compactMap { $0["environment_id"] as? String }) == ["shop-prod", "shop-canary"])
            #expect(answer["mode"] as? String == "fast", "no dependency file changed: a fast deploy")
            for entry in deployments {
                let id = try #require(entry["deployment_id"] as? String)
                let state = try #require(try await DeploymentService(store: world.db.store, source: "test").deployment(id))
                #expect(state.trigger == .gitPush && state.git.commit == "c0ffee1234567" && state.git.message == "Ship it" && state.git.author == "Ada")
                #expect(state.git.changedFiles == ["src/app.py", "README.md"])
                #expect(DeployMode.choose(trigger: state.trigger, git: state.git) == .fast)
                try await waitUntil("the deployment is in the read models", within: .seconds(20)) {
                    try await world.send("GET", "/api/v1/deployments/\(id)", token: world.admin).0 == 200
                }
                let (_, shown, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.admin)
                #expect(shown["triggered_by"] is NSNull, "a push has no person behind it: null, as in the seed")
            }
            // The same delivery again: the first answer, nothing new written.
            let head = try await world.db.store.headPosition()
            let (again, _, replayed) = try await deliver(world, body, delivery: "d-1", signature: Self.signature(body), query: "")
            #expect(again == 200 && replayed == raw)
            #expect(try await world.db.store.headPosition() == head)
            // The secret is nowhere in the log.
            let everything = try await world.db.store.readAll(after: 0, limit: 10_000).events
            #expect(!everything.contains { String(decoding: $0.data, as: UTF8.self).contains(Self.secret) || String(decoding: $0.metadataJSON, as: UTF8.self).contains(Self.secret) })
            #expect(everything.contains { $0.type == ProjectWebhookSecretSet.eventType })
        }
    }

    /// A list read right after a push's 202, by a client that listed just before (so an answer
    /// may be kept in memory), shows the deployment the push started — every time.
    @Test func aListReadAfterAPushSeesTheDeploymentItStarted() async throws {
        try await withHooks { world in
            let service = DeploymentService(store: world.db.store, source: "test")
            for round in 0..<10 {
                _ = try await world.send("GET", "/api/v1/deployments?project_id=shop&limit=100", token: world.admin)
                let body = Self.push(branch: "dev", commit: String(format: "abcdef%07d", round), files: ["app.py"])
                let (status, answer, raw) = try await deliver(world, body, delivery: "ryw-\(round)", signature: Self.signature(body))
                #expect(status == 202, "\(raw)")
                let id = try #require((answer["deployments"] as? [[String: Any]])?.first?["deployment_id"] as? String, "\(raw)")
                let (_, _, list) = try await world.send("GET", "/api/v1/deployments?project_id=shop&limit=100", token: world.admin)
                #expect(list.contains(id), "round \(round): the first read after the 202 shows \(id)")
                try await service.cancel(id, context: CommandContext(actor: "ops"))
            }
        }
    }

    /// Delivery ids are a project's own: another project that sends (or guesses) the same id
    /// first, signed with its own secret, neither reads this project's answer nor makes this
    /// project's real push look like a duplicate.
    @Test func aDeliveryIDReusedByAnotherProjectLeavesThisProjectsPushAlone() async throws {
        try await withHooks { world in
            let ops = CommandContext(actor: "ops")
            let service = DeploymentService(store: world.db.store, source: "test")
            try await service.createProject(id: "blog", organisation: "other", name: "Blog", repository: "https://git.example/other/blog", context: ops)
            let otherSecret = "another-projects-secret-42"
            try await WebhookSecrets(service: service, client: world.db.client, logger: TestDatabase.logger).set(project: "blog", secret: otherSecret, context: ops)
            let body = Self.push(files: ["src/app.py"])
            // The other project goes first with the id this project's push will carry.
            let (first, firstAnswer, _) = try await deliver(
                world, body, delivery: "shared-1", signature: Self.signature(body, secret: otherSecret), query: "?project_id=blog")
            #expect(first == 202 && firstAnswer["project_id"] as? String == "blog")
            // This project's real push deploys as usual.
            let (status, answer, raw) = try await deliver(world, body, delivery: "shared-1", signature: Self.signature(body))
            #expect(status == 202, "\(raw)")
            #expect((answer["deployments"] as? [[String: Any]])?.count == 2, "\(raw)")
            // The other project sending it again gets its own first answer, not this project's.
            let (again, replayed, replayedRaw) = try await deliver(
                world, body, delivery: "shared-1", signature: Self.signature(body, secret: otherSecret), query: "?project_id=blog")
            #expect(again == 200 && replayed["project_id"] as? String == "blog" && !replayedRaw.contains("shop-prod"), "\(replayedRaw)")
        }
    }

    @Test func aDependencyChangeChoosesAFullDeploy() async throws {
        try await withHooks { world in
            let body = Self.push(branch: "dev", files: ["src/app.py", "backend/requirements.txt"])
            let (status, answer, raw) = try await deliver(world, body, delivery: "d-full", signature: Self.signature(body))
            #expect(status == 202, "\(raw)")
            #expect(answer["mode"] as? String == "full")
            let deployments = try #require(answer["deployments"] as? [[String: Any]])
            #expect(deployments.compactMap { $0["environment_id"] as? String } == ["shop-dev"])
            #expect(deployments.first?["mode"] as? String == "full")
        }
    }

    @Test func unsignedOrWronglySignedDeliveriesAreRefusedAndWriteNothing() async throws {
        try await withHooks { world in
            let body = Self.push(files: ["a.txt"])
            let head = try await world.db.store.headPosition()
            for signature in [nil, Self.signature(body, secret: "another-secret-of-16+"), Self.signature(body + " "), "sha256=zz", "sha1=abc"] {
                let (status, answer, raw) = try await deliver(world, body, delivery: "d-bad-\(UUID().uuidString.prefix(6))", signature: signature)
                #expect(status == 401, "\(signature ?? "none"): \(raw)")
                #expect((answer["error"] as? [String: Any])?["code"] as? String == "invalid_signature")
            }
            // A project without a secret cannot be deployed by a webhook at all.
            let (unknown, _, _) = try await deliver(world, body, delivery: "d-x", signature: Self.signature(body), query: "?project_id=nope")
            #expect(unknown == 401)
            #expect(try await world.db.store.headPosition() == head)
            // A signed delivery that is not a push is acknowledged and deploys nothing.
            let ping = #"{"zen":"Keep it simple","repository":{"full_name":"acme/shop"}}"#
            let (pinged, pong, _) = try await deliver(world, ping, delivery: "d-ping", signature: Self.signature(ping), event: "ping")
            #expect(pinged == 202 && (pong["deployments"] as? [Any])?.isEmpty == true)
            #expect(try await world.db.store.headPosition() == head)
        }
    }

    @Test func gitLabPushesAreCheckedByTheirTokenHeader() async throws {
        try await withHooks { world in
            let body = #"{"ref":"refs/heads/main","checkout_sha":"abcdef0123456","user_name":"Grace","commits":[{"id":"abcdef0123456","message":"GitLab change","author":{"name":"Grace"},"added":["x.py"],"modified":[],"removed":[]}],"project":{"path_with_namespace":"acme/shop"}}"#
            func send(_ token: String) async throws -> (Int, [String: Any], String) {
                try await world.send(
                    "POST", "/api/v1/webhooks/gitlab?project_id=shop", token: nil, body: body,
                    headers: ["X-Gitlab-Event: Push Hook", "X-Gitlab-Event-UUID: gl-1", "X-Gitlab-Token: \(token)", "Content-Type: application/json"])
            }
            #expect(try await send("wrong-token-wrong-token").0 == 401)
            let (status, answer, raw) = try await send(Self.secret)
            #expect(status == 202, "\(raw)")
            #expect((answer["deployments"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test func webhooksHaveTheirOwnRateLimit() async throws {
        try await withHooks(options: GatewayOptions(limits: .init(deploymentsPerMinute: nil, webhooksPerMinute: 2))) { world in
            try await startWellInsideARateLimitWindow()
            var statuses: [Int] = []
            for n in 0..<3 {
                let body = Self.push(branch: "feature", commit: "f00d00\(n)", files: ["a"])
                statuses.append(try await deliver(world, body, delivery: "d-rate-\(n)", signature: Self.signature(body)).0)
            }
            #expect(statuses == [202, 202, 429])
        }
    }

    @Test func pushPayloadsAreReadForBranchCommitAndChangedFiles() throws {
        let push = try #require(GitPush(payload: Data(Self.push(files: ["a", "b", "a"]).utf8)))
        #expect(push.branch == "main" && push.commit == "c0ffee1234567" && push.message == "Ship it" && push.author == "Ada")
        #expect(push.changedFiles == ["a", "b"], "each file once")
        let deleted = #"{"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","deleted":true,"commits":[]}"#
        #expect(GitPush(payload: Data(deleted.utf8))?.deleted == true)
        #expect(GitPush(payload: Data(#"{"zen":"no ref"}"#.utf8)) == nil)
    }
}
