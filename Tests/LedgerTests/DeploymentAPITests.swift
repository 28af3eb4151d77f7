import Foundation
@testable import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Projections
import Testing

/// The deployment endpoints over HTTP with tokens of several roles and organisations: what
/// each may do, what a bad request gets, and that writes read back at once.
@Suite(.serialized) struct DeploymentAPITests {
    struct World {
        let db: TestContext
        let port: Int
        let admin: String
        let member: String
        let stranger: String

        func send(_ method: String, _ path: String, token: String?, body: String? = nil, headers: [String] = []) async throws -> (Int, [String: Any], String) {
            var all = headers
            if let token { all.append("Authorization: Bearer \(token)") }
            if body != nil, !headers.contains(where: { $0.lowercased().hasPrefix("content-type") }) { all.append("Content-Type: application/json") }
            let answer = try await HTTP.send(method, port, path, headers: all, body: body)
            let json = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
            return (answer.status, json, answer.body)
        }
    }

    /// `acme/shop/shop-prod` configured, tokens of a project admin and a project member of
    /// `acme/shop` and an owner of another organisation, and a gateway on a free port.
    /// Without `projections`, no runner keeps the read models current (a read that waits for them
    /// is `projection_behind` past half the `requestTimeout`).
    func withWorld(
        options: GatewayOptions = .init(), projections: Bool = true, requestTimeout: Duration = .seconds(60),
        _ body: @escaping @Sendable (World) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            try await service.createOrganisation(id: "other", name: "Other", context: ops)
            try await service.createProject(id: "shop", organisation: "acme", name: "Shop", repository: "https://git.example/acme/shop", context: ops)
            try await service.registerKey(SSHKeyRegistered(keyID: "deploy", organisationID: "acme", fingerprint: "SHA256:key"), context: ops)
            try await service.registerServer(ServerRegistered(
                serverID: "web-1", organisationID: "acme", host: "10.0.0.5", port: 22, user: "deploy", keyID: "deploy",
                keyFingerprint: "SHA256:key", hostKeyType: "ssh-ed25519", hostKeyFingerprint: "SHA256:host",
                capacity: Resources(cpuMillicores: 4_000, memoryMB: 8_192, diskGB: 100)), context: ops)
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
            let tokens = GatewayTests.tokens(db)
            let admin = try await tokens.issue(name: "admin", role: .projectAdmin, organisation: "acme", project: "shop", context: ops).secret
            let member = try await tokens.issue(name: "member", role: .projectMember, organisation: "acme", project: "shop", context: ops).secret
            let stranger = try await tokens.issue(name: "stranger", role: .orgOwner, organisation: "other", project: nil, context: ops).secret
            let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
            // A generous deadline: these tests check answers, not speed, on a machine shared with other suites.
            let server = GatewayServer(reader: reader, store: db.store, tokens: tokens, port: 0, requestTimeout: requestTimeout, options: options, logger: TestDatabase.logger)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // As `ledger run` serves: the head listener and the projections beside the API.
                group.addTask { try await db.store.headListener.run() }
                if projections {
                    group.addTask {
                        let runners = ProjectionCatalog.all.map { ProjectionRunner(projection: $0, store: db.store, client: db.client, logger: TestDatabase.logger) }
                        try await ProjectionGroupRunner(runners: runners, logger: TestDatabase.logger).run()
                    }
                }
                group.addTask { try await server.run { port in continuation.yield(port) } }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                // Ready as `ledger run` is once its projections are live: a read before that
                // would find no read model yet (503), whatever the test is about.
                if projections {
                    try await ProjectionReader(client: db.client, awaitTimeout: .seconds(60), logger: TestDatabase.logger)
                        .awaitPosition(nil, of: ProjectionCatalog.all.map(\.name), store: db.store)
                }
                try await body(World(db: db, port: port, admin: admin.text, member: member.text, stranger: stranger.text))
                group.cancelAll()
            }
        }
    }

    static let deploy = #"{"environment_id": "shop-prod", "project_id": "shop", "git_branch": "main", "git_commit": "a1b2c3d4e5f6"}"#

    @Test func aDeployAnswersWhatItWroteAndReadsBackAtOnce() async throws {
        try await withWorld { world in
            let (status, body, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy, headers: ["X-Request-Id: req-1"])
            #expect(status == 201, "\(raw)")
            #expect(body["status"] as? String == "pending" && body["environment_id"] as? String == "shop-prod" && body["version"] as? Int == 1)
            #expect(body["triggered_by"] as? String == "token:admin" && body["git_commit"] as? String == "a1b2c3d4e5f6")
            let id = try #require(body["id"] as? String)
            let (got, again, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.member)
            #expect(got == 200 && again["id"] as? String == id && (again["steps"] as? [Any])?.isEmpty == false)
            let (listed, _, list) = try await world.send("GET", "/api/v1/deployments?environment_id=shop-prod", token: world.member)
            #expect(listed == 200 && list.contains(id))
            let (progressed, progress, _) = try await world.send("GET", "/api/v1/deployments/\(id)/progress", token: world.member)
            #expect(progressed == 200 && progress["progress_percent"] as? Int == 0 && progress["total_steps"] as? Int ?? 0 > 0)
            // The request id reached the events' metadata.
            let requested = try await world.db.store.read(stream: DomainIDs.deploymentStream(id))
            #expect(try requested.allSatisfy { try LedgerJSON.decode(EventMetadata.self, from: $0.metadataJSON).requestID == "req-1" })

            let (busy, refusal, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy)
            #expect(busy == 409 && (refusal["error"] as? [String: Any])?["code"] as? String == "deployment_in_flight")
            let (cancelled, cancel, _) = try await world.send("POST", "/api/v1/deployments/\(id)/cancel", token: world.admin, body: #"{"reason":"test"}"#)
            #expect(cancelled == 200 && cancel["status"] as? String == "cancelled")
        }
    }

    @Test func theSameIdempotencyKeyDeploysOnce() async throws {
        try await withWorld { world in
            let headers = ["Idempotency-Key: deploy-42"]
            let (first, one, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy, headers: headers)
            let (second, two, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy, headers: headers)
            #expect(first == 201 && second == 200)
            #expect(one["id"] as? String == two["id"] as? String)
            let requested = try await world.db.store.readAll(after: 0, filter: EventFilter(eventTypes: [DeploymentRequested.eventType])).events
            #expect(requested.count == 1)
            // The same key with another body is not a retry: refused, nothing written.
            let head = try await world.db.store.headPosition()
            let other = Self.deploy.replacingOccurrences(of: "a1b2c3d4e5f6", with: "ffffffffffff")
            let (third, refusal, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: other, headers: headers)
            #expect(third == 422 && (refusal["error"] as? [String: Any])?["code"] as? String == "idempotency_key_reused")
            #expect(try await world.db.store.headPosition() == head)
        }
    }

    @Test func whatARoleMayNotDoIs403AndWhatATokenMayNotSeeIs404() async throws {
        try await withWorld { world in
            let head = try await world.db.store.headPosition()
            let (member, forbidden, _) = try await world.send("POST", "/api/v1/deployments", token: world.member, body: Self.deploy)
            #expect(member == 403 && (forbidden["error"] as? [String: Any])?["code"] as? String == "forbidden")
            let (stranger, hidden, _) = try await world.send("POST", "/api/v1/deployments", token: world.stranger, body: Self.deploy)
            #expect(stranger == 404 && (hidden["error"] as? [String: Any])?["code"] as? String == "not_found")
            // Not even a wrong project_id tells a stranger the environment exists.
            let probe = #"{"environment_id": "shop-prod", "project_id": "nope", "git_branch": "main"}"#
            let (probed, _, _) = try await world.send("POST", "/api/v1/deployments", token: world.stranger, body: probe)
            #expect(probed == 404)
            let (anonymous, _, _) = try await world.send("POST", "/api/v1/deployments", token: nil, body: Self.deploy)
            #expect(anonymous == 401)
            #expect(try await world.db.store.headPosition() == head, "nothing was written")

            let (_, created, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy)
            let id = try #require(created["id"] as? String)
            let (seen, _, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.stranger)
            #expect(seen == 404)
            let (listed, _, list) = try await world.send("GET", "/api/v1/deployments", token: world.stranger)
            #expect(listed == 200 && list == "[]")
        }
    }

    @Test func badRequestsGetTheirStatusAndWriteNothing() async throws {
        try await withWorld { world in
            let head = try await world.db.store.headPosition()
            let cases: [(String, [String], Int, String)] = [
                ("not json", [], 400, "bad_request"),
                (#"{"git_branch": "main"}"#, [], 422, "invalid"),
                (#"{"environment_id": 7, "git_branch": "main"}"#, [], 422, "invalid"),
                (#"{"environment_id": "shop-prod", "git_branch": "main", "trigger": "whenever"}"#, [], 422, "invalid"),
                (#"{"environment_id": "shop-prod"}"#, [], 422, "invalid"),
                (#"{"environment_id": "shop-prod", "project_id": "blog", "git_branch": "main"}"#, [], 422, "invalid"),
                (Self.deploy, ["Content-Type: text/plain"], 415, "unsupported_media_type"),
                ("{\"environment_id\": \"" + String(repeating: "x", count: 70_000) + "\"}", [], 413, "payload_too_large"),
            ]
            for (body, headers, status, code) in cases {
                let (got, answer, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: body, headers: headers)
                #expect(got == status, "\(body.prefix(80)): \(raw.prefix(200))")
                #expect((answer["error"] as? [String: Any])?["code"] as? String == code, "\(raw.prefix(200))")
            }
            let (badLimit, _, _) = try await world.send("GET", "/api/v1/deployments?limit=101", token: world.admin)
            #expect(badLimit == 400)
            // NUL, which PostgreSQL text cannot hold, is bad input — not a server error (found by fuzzing).
            let (nulQuery, _, _) = try await world.send("GET", "/api/v1/deployments?environment_id=%00x", token: world.admin)
            #expect(nulQuery == 400)
            let (nulBody, _, _) = try await world.send(
                "POST", "/api/v1/deployments", token: world.admin, body: #"{"environment_id": "shop\u0000prod", "git_branch": "main"}"#)
            #expect(nulBody == 422)
            #expect(try await world.db.store.headPosition() == head, "nothing was written")
        }
    }

    @Test func environmentsReleasesHistoryQuotaAuditAndVerifyAreScopedReads() async throws {
        try await withWorld { world in
            let ops = CommandContext(actor: "ops")
            let tokens = GatewayTests.tokens(world.db)
            let orgAdmin = try await tokens.issue(name: "org-admin", role: .orgAdmin, organisation: "acme", project: nil, context: ops).secret.text
            let root = try await tokens.issue(name: "root", role: .portalAdmin, organisation: nil, project: nil, context: ops).secret.text
            let before = try await world.db.store.headPosition()
            let (_, created, _) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: Self.deploy)
            let id = try #require(created["id"] as? String)

            let (listed, _, list) = try await world.send("GET", "/api/v1/environments", token: world.member)
            #expect(listed == 200 && list.contains(#""in_flight":"\#(id)""#), "\(list)")
            let (_, _, strangers) = try await world.send("GET", "/api/v1/environments", token: world.stranger)
            #expect(strangers == "[]")
            let (one, environment, _) = try await world.send("GET", "/api/v1/environments/shop-prod", token: world.member)
            #expect(one == 200 && environment["in_flight"] as? String == id)
            let (hidden, _, _) = try await world.send("GET", "/api/v1/environments/shop-prod", token: world.stranger)
            #expect(hidden == 404)
            let (released, _, releases) = try await world.send("GET", "/api/v1/environments/shop-prod/releases", token: world.member)
            #expect(released == 200 && releases == "[]")

            let (then, past, _) = try await world.send("GET", "/api/v1/environments/shop-prod/history?position=\(before)", token: world.member)
            #expect(then == 200 && (past["state"] as? [String: Any])?["in_flight"] == nil && past["as_of_position"] as? Int ?? .max <= Int(before))
            let (badTime, _, _) = try await world.send("GET", "/api/v1/environments/shop-prod/history?at=yesterday", token: world.member)
            #expect(badTime == 400)

            let (noQuota, _, _) = try await world.send("GET", "/api/v1/organizations/acme/quota", token: world.member)
            #expect(noQuota == 403, "a project member may not see the organisation's quota")
            let (quota, usage, _) = try await world.send("GET", "/api/v1/organizations/acme/quota", token: orgAdmin)
            #expect(quota == 200 && usage["active_environments"] as? Int == 1)
            let (otherQuota, _, _) = try await world.send("GET", "/api/v1/organizations/other/quota", token: orgAdmin)
            #expect(otherQuota == 404)

            let (audited, audit, _) = try await world.send("GET", "/api/v1/audit?limit=500", token: orgAdmin)
            let entries = try #require(audit["entries"] as? [[String: Any]])
            #expect(audited == 200 && !entries.isEmpty)
            #expect(entries.allSatisfy { $0["organization_id"] as? String == "acme" }, "only its own organisation's trail")
            // Paged by the opaque cursor of the page before: the pages together are the whole trail.
            var paged: [Int] = []
            var cursor: String?
            repeat {
                let (status, page, raw) = try await world.send("GET", "/api/v1/audit?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: orgAdmin)
                #expect(status == 200, "\(raw)")
                paged += (page["entries"] as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int }
                cursor = page["next_cursor"] as? String
                #expect(cursor.map { Int($0) == nil } ?? true, "a cursor is opaque, not a position")
            } while cursor != nil && paged.count <= entries.count
            #expect(paged == entries.compactMap { $0["position"] as? Int })
            let (foreign, _, _) = try await world.send("GET", "/api/v1/audit?cursor=\(ListCursor.make("deployments", position: 1))", token: orgAdmin)
            #expect(foreign == 400, "a cursor of another list")
            let csv = try await HTTP.get(world.port, "/api/v1/audit?format=csv", headers: ["Authorization: Bearer \(orgAdmin)"])
            #expect(csv.status == 200 && csv.body.hasPrefix(AuditExport.csvHeader) && csv.body.split(separator: "\n").count == entries.count + 1)
            // One shape for an entry in JSON, NDJSON and CSV: the same keys, the same values.
            let ndjson = try await HTTP.get(world.port, "/api/v1/audit?format=ndjson", headers: ["Authorization: Bearer \(orgAdmin)"])
            let rows = ndjson.body.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(rows.count == entries.count)
            for (row, entry) in zip(rows, entries) {
                #expect(Set(row.keys) == Set(AuditRow.keys), "NDJSON keys: \(row.keys.sorted())")
                #expect(NSDictionary(dictionary: row.filter { !($0.value is NSNull) }) == NSDictionary(dictionary: entry.filter { !($0.value is NSNull) }))
            }
            #expect(csv.body.split(separator: "\n").first.map(String.init) == AuditRow.keys.joined(separator: ","))
            #expect(AuditRow.keys.contains("at") && AuditRow.keys.contains("organization_id"))

            let (denied, _, _) = try await world.send("GET", "/api/v1/verify", token: orgAdmin)
            #expect(denied == 403)
            let (verified, report, _) = try await world.send("GET", "/api/v1/verify", token: root)
            #expect(verified == 200 && report["ok"] as? Bool == true && report["events_checked"] as? Int ?? 0 > 0)
        }
    }

    @Test func deploymentsAreFilteredAndPagedByCursor() async throws {
        try await withWorld { world in
            let ops = CommandContext(actor: "ops")
            let service = DeploymentService(store: world.db.store, source: "test")
            var ids: [String] = []
            for (index, commit) in ["aaaaaaa1", "bbbbbbb2", "ccccccc3"].enumerated() {
                let outcome = try await service.deploy(
                    environment: "shop-prod", git: GitReference(branch: index == 1 ? "hotfix" : "main", commit: commit),
                    context: CommandContext(actor: index == 2 ? "eve" : "ana"))
                ids.append(try #require(outcome.deploymentID))
                try await service.cancel(ids[index], context: ops)
            }
            try await ProjectionReader(client: world.db.client, logger: TestDatabase.logger).awaitPosition(nil, of: ["deployments"], store: world.db.store)
            func listed(_ query: String) async throws -> [String] {
                let (status, _, raw) = try await world.send("GET", "/api/v1/deployments?\(query)", token: world.member)
                #expect(status == 200, "\(query): \(raw)")
                let array = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [[String: Any]] ?? []
                return array.compactMap { $0["id"] as? String }
            }
            #expect(try await listed("") == ids.reversed(), "newest first")
            #expect(try await listed("git_branch=hotfix") == [ids[1]])
            #expect(try await listed("git_commit=ccccccc") == [ids[2]])
            #expect(try await listed("triggered_by=eve") == [ids[2]])
            #expect(try await listed("created_from=2999-01-01T00:00:00Z").isEmpty)
            #expect(try await listed("finished_before=2000-01-01T00:00:00Z").isEmpty)

            let first = try await HTTP.get(world.port, "/api/v1/deployments?limit=2", headers: ["Authorization: Bearer \(world.member)"])
            func header(_ name: String, of answer: HTTP.Answer) -> String? {
                answer.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }?
                    .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
            }
            let cursor = try #require(header("x-next-cursor", of: first))
            #expect(Int64(cursor) == nil, "the cursor is opaque")
            #expect(header("x-total-count", of: first) == "3", "the total of the whole list, not of the page")
            #expect(try await listed("limit=2&cursor=\(cursor)") == [ids[0]], "the next page by keyset")
            let hotfixes = try await HTTP.get(world.port, "/api/v1/deployments?git_branch=hotfix", headers: ["Authorization: Bearer \(world.member)"])
            #expect(header("x-total-count", of: hotfixes) == "1" && header("x-next-cursor", of: hotfixes) == nil)
            for bad in ["12", "bm9wZQ", ListCursor.make("audit", position: 5), "%00"] {
                let (status, _, _) = try await world.send("GET", "/api/v1/deployments?cursor=\(bad)", token: world.member)
                #expect(status == 400, "cursor \(bad)")
            }
            let (bad, _, _) = try await world.send("GET", "/api/v1/deployments?git_commit=xyz", token: world.member)
            #expect(bad == 400)
        }
    }
}
