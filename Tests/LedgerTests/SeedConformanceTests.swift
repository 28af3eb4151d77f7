import Foundation
import Gateway
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// The API against seed 000's "API Reference": its paths, field names and status codes, one
/// operation after another. Where the ledger deliberately differs (README, "Where the API
/// differs from the seed"), the difference is asserted too, so the table cannot go stale.
@Suite(.serialized) struct SeedConformanceTests {
    /// Plays a deployment through the executor's decisions to success.
    static func succeed(_ id: String, _ service: DeploymentService) async throws {
        let ops = CommandContext(actor: "executor")
        try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.queue(state) }
        try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.start(state, executor: "x", lease: "l") }
        for step in try #require(try await service.deploymentWithProgress(id)?.1.steps.map(\.step)) {
            try await service.execute(deployment: id, context: ops) { state, progress in try ExecutionDecisions.startStep(state, progress, step: step) }
            try await service.execute(deployment: id, context: ops) { state, progress in
                try ExecutionDecisions.completeStep(state, progress, step: step, durationMs: 1, summary: nil)
            }
        }
        try await service.execute(deployment: id, context: ops) { state, progress in
            guard let environment = try await service.environment(state.environmentID) else { throw CommandRejection(.notFound, "no environment") }
            return try ExecutionDecisions.succeed(state, progress, environment: environment)
        }
    }

    static func fail(_ id: String, _ service: DeploymentService) async throws {
        let ops = CommandContext(actor: "executor")
        try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.queue(state) }
        try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.start(state, executor: "x", lease: "l") }
        try await service.execute(deployment: id, context: ops) { state, _ in try ExecutionDecisions.fail(state, step: nil, error: "boom") }
    }

    @Test func deploymentsHaveTheSeedsPathsFieldsAndStatuses() async throws {
        try await DeploymentAPITests().withWorld { world in
            let service = DeploymentService(store: world.db.store, source: "test")
            // Deploy (the ledger answers 201 Created with the deployment; see the differences).
            let (created, first, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: DeploymentAPITests.deploy)
            #expect(created == 201, "\(raw)")
            let v1 = try #require(first["id"] as? String)
            try await Self.succeed(v1, service)

            // Get Deployment: every field of the seed's example this platform has (no vm_id, container_id, image_tag).
            // (The executor's writes reach the API's read models within moments.)
            try await waitUntil("the API shows the success", within: .seconds(20)) {
                try await world.send("GET", "/api/v1/deployments/\(v1)", token: world.admin).1["status"] as? String == "success"
            }
            let (got, deployment, _) = try await world.send("GET", "/api/v1/deployments/\(v1)", token: world.admin)
            #expect(got == 200)
            for key in ["id", "project_id", "environment_id", "version", "status", "trigger", "triggered_by", "git_commit", "git_branch",
                "started_at", "completed_at", "duration_seconds", "extra_data"]
            {
                #expect(deployment[key] != nil, "GET /deployments/{id} has \(key)")
            }
            #expect(deployment["status"] as? String == "success" && deployment["version"] as? Int == 1)
            for key in ["vm_id", "container_id", "image_tag"] { #expect(deployment[key] == nil, "documented difference: no \(key)") }

            // List Deployments: a plain array, filtered by project_id and status, paged by skip and limit.
            let (listed, _, list) = try await world.send("GET", "/api/v1/deployments?project_id=shop&status=success&skip=0&limit=50", token: world.admin)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
            #expect(listed == 200 && rows.map { $0["id"] as? String } == [v1])
            for key in ["id", "project_id", "environment_id", "version", "status", "trigger", "git_commit", "started_at", "completed_at", "duration_seconds"] {
                #expect(rows.first?[key] != nil, "a list row has \(key)")
            }

            // Get Deployment Progress: progress_percent, steps with id/name/status, current_step, started_at.
            let (progressed, progress, _) = try await world.send("GET", "/api/v1/deployments/\(v1)/progress", token: world.admin)
            #expect(progressed == 200)
            #expect(progress["deployment_id"] as? String == v1 && progress["status"] as? String == "success")
            #expect(progress["progress_percent"] as? Int == 100 && progress["percent"] == nil)
            #expect(progress["started_at"] is String && progress.keys.contains("current_step"))
            let steps = try #require(progress["steps"] as? [[String: Any]])
            #expect(!steps.isEmpty && steps.allSatisfy { $0["id"] is String && $0["name"] is String && $0["status"] as? String == "completed" })

            // Get Deployment Logs: {deployment_id, logs: [...]}.
            let (logged, logs, _) = try await world.send("GET", "/api/v1/deployments/\(v1)/logs?level=info&skip=0&limit=500", token: world.admin)
            #expect(logged == 200 && logs["deployment_id"] as? String == v1 && logs["logs"] is [Any])

            // A second release, then Rollback Deployment: 200, trigger rollback, rollback_from_id and extra_data.rollback_to name the target.
            let second = #"{"environment_id": "shop-prod", "git_branch": "main", "git_commit": "b2c3d4e5f6a7"}"#
            let v2 = try #require(try await world.send("POST", "/api/v1/deployments", token: world.admin, body: second).1["id"] as? String)
            try await Self.succeed(v2, service)
            try await waitUntil("the API shows the second release", within: .seconds(20)) {
                try await world.send("GET", "/api/v1/deployments/\(v2)", token: world.admin).1["status"] as? String == "success"
            }
            let (rolled, rollback, rollbackRaw) = try await world.send("POST", "/api/v1/deployments/\(v1)/rollback", token: world.admin)
            #expect(rolled == 200, "the seed answers 200: \(rollbackRaw)")
            #expect(rollback["trigger"] as? String == "rollback" && rollback["status"] as? String == "pending" && rollback["version"] as? Int == 3)
            #expect(rollback["rollback_from_id"] as? String == v1 && (rollback["extra_data"] as? [String: Any])?["rollback_to"] as? String == v1)
            #expect(rollback["git_commit"] as? String == "a1b2c3d4e5f6" && rollback["git_branch"] as? String == "main" && rollback["project_id"] as? String == "shop")
            // 409 while one is in progress; 400 to roll back to what did not succeed; 404 for none.
            #expect(try await world.send("POST", "/api/v1/deployments/\(v2)/rollback", token: world.admin).0 == 409)
            let rollbackID = try #require(rollback["id"] as? String)

            // Cancel Deployment: 200 (the ledger answers the deployment, not a message).
            let (cancelled, cancelledBody, _) = try await world.send("POST", "/api/v1/deployments/\(rollbackID)/cancel", token: world.admin)
            #expect(cancelled == 200 && cancelledBody["status"] as? String == "cancelled")
            #expect(try await world.send("POST", "/api/v1/deployments/\(rollbackID)/cancel", token: world.admin).0 == 400, "cannot cancel in a final state")
            #expect(try await world.send("POST", "/api/v1/deployments/\(rollbackID)/rollback", token: world.admin).0 == 400, "only to a successful one")
            #expect(try await world.send("POST", "/api/v1/deployments/no-such/rollback", token: world.admin).0 == 404)

            // Retry Deployment: 200 for a failed one, extra_data.retry_of; 400 for any other.
            let third = #"{"environment_id": "shop-prod", "git_branch": "main", "git_commit": "c3d4e5f6a7b8"}"#
            let failed = try #require(try await world.send("POST", "/api/v1/deployments", token: world.admin, body: third).1["id"] as? String)
            try await Self.fail(failed, service)
            let (retried, retry, retryRaw) = try await world.send("POST", "/api/v1/deployments/\(failed)/retry", token: world.admin)
            #expect(retried == 200, "the seed answers 200: \(retryRaw)")
            #expect((retry["extra_data"] as? [String: Any])?["retry_of"] as? String == failed && retry["status"] as? String == "pending")
            #expect(retry["git_commit"] as? String == "c3d4e5f6a7b8" && retry["rollback_from_id"] is NSNull)
            #expect(try await world.send("POST", "/api/v1/deployments/\(v1)/retry", token: world.admin).0 == 400, "can only retry failed deployments")
            #expect(try await world.send("POST", "/api/v1/deployments/no-such/retry", token: world.admin).0 == 404)
            #expect(
                try await world.send("POST", "/api/v1/deployments", token: world.admin, body: #"{"environment_id": "shop-prod", "git_branch": "x"}"#).0 == 409,
                "a deployment already in progress")

            // Destroy Environment: 200 (the ledger answers the destroy record).
            try await service.cancel(try #require(retry["id"] as? String), context: CommandContext(actor: "ops"))
            let (destroyed, destroy, _) = try await world.send("DELETE", "/api/v1/deployments/environment/shop-prod/destroy?delete_data=false", token: world.admin)
            #expect(destroyed == 200 && destroy["environment_id"] as? String == "shop-prod" && destroy["trigger"] as? String == "destroy")
        }
    }

    @Test func autoDeployIsTurnedOnWithTheSeedsProjectScopedPatch() async throws {
        try await DeploymentAPITests().withWorld { world in
            let (status, environment, raw) = try await world.send(
                "PATCH", "/api/v1/projects/shop/environments/shop-prod", token: world.admin, body: #"{"auto_deploy": true, "git_branch": "release"}"#)
            #expect(status == 200, "\(raw)")
            let configuration = try #require(environment["configuration"] as? [String: Any], "\(raw)")
            #expect(configuration["auto_deploy"] as? Bool == true && configuration["branch"] as? String == "release", "git_branch is honoured")
            // Another project's path does not reach the environment.
            #expect(try await world.send("PATCH", "/api/v1/projects/other/environments/shop-prod", token: world.admin, body: #"{"auto_deploy": false}"#).0 == 404)
            // The unprefixed path takes git_branch too; two names for one setting must agree.
            #expect(try await world.send("PATCH", "/api/v1/environments/shop-prod", token: world.admin, body: #"{"git_branch": "main"}"#).0 == 200)
            let (clash, _, clashRaw) = try await world.send("PATCH", "/api/v1/environments/shop-prod", token: world.admin, body: #"{"git_branch": "a", "branch": "b"}"#)
            #expect(clash == 422, "\(clashRaw)")
        }
    }

    /// The request schemas are closed, as `/openapi.json` says: an unknown field is refused
    /// 422 naming it, and nothing is written.
    @Test func unknownFieldsAreRefusedNamingTheFieldAndWriteNothing() async throws {
        try await DeploymentAPITests().withWorld { world in
            let cases: [(String, String, String, String)] = [
                ("POST", "/api/v1/deployments", #"{"environment_id": "shop-prod", "git_branch": "main", "bogus": 1}"#, "bogus"),
                ("PATCH", "/api/v1/environments/shop-prod", #"{"bogus": "x"}"#, "bogus"),
                ("PATCH", "/api/v1/projects/shop/environments/shop-prod", #"{"auto_deploy": true, "gitbranch": "x"}"#, "gitbranch"),
                ("POST", "/api/v1/environments/shop-prod/deploy", #"{"git_branch": "main", "forse": true}"#, "forse"),
                ("PUT", "/api/v1/projects/shop/webhook-secret", #"{"secret": "0123456789abcdef0123", "algorithm": "sha1"}"#, "algorithm"),
            ]
            for (method, path, body, field) in cases {
                let head = try await world.db.store.headPosition()
                let (status, answer, raw) = try await world.send(method, path, token: world.admin, body: body)
                #expect(status == 422, "\(method) \(path): \(raw)")
                #expect(((answer["error"] as? [String: Any])?["message"] as? String)?.contains(field) == true, "names \(field): \(raw)")
                #expect(try await world.db.store.headPosition() == head, "\(method) \(path) wrote nothing")
            }
        }
    }
}
