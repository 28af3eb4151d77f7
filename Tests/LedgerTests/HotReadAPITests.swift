import Foundation
import Gateway
import Ledger
import LedgerDomain
import LedgerTestSupport
import Projections
import Testing

/// A deployment polled over the API is answered from the gateway's memory, and a change made
/// anywhere else (here, straight through the service, as a worker or the CLI would) still shows:
/// the answers are kept for an hour in this test, so only the live feed's notice can drop them.
@Suite(.serialized) struct HotReadAPITests {
    @Test func aPolledDeploymentIsServedFromMemoryUntilItChangesElsewhere() async throws {
        var options = GatewayOptions()
        options.feed.hotReadTimeToLive = .seconds(3_600)
        try await DeploymentAPITests().withWorld(options: options) { world in
            let (status, body, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: DeploymentAPITests.deploy)
            try #require(status == 201, "\(raw)")
            let id = try #require(body["id"] as? String)

            let before = try await Self.hotReads(world.port)
            try await waitUntil("polls are answered from memory", within: .seconds(30)) {
                let (progressed, progress, _) = try await world.send("GET", "/api/v1/deployments/\(id)/progress", token: world.member)
                #expect(progressed == 200 && progress["progress_percent"] as? Int == 0)
                let (got, deployment, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.member)
                #expect(got == 200 && deployment["status"] as? String == "pending")
                return try await Self.hotReads(world.port) >= before + 2
            }
            // What the member's token may not see stays unseen, kept answer or not.
            let (hidden, _, _) = try await world.send("GET", "/api/v1/deployments/\(id)/progress", token: world.stranger)
            #expect(hidden == 404)

            // Cancelled elsewhere: the next polls show it.
            _ = try await DeploymentService(store: world.db.store, source: "test").cancel(id, reason: "elsewhere", context: CommandContext(actor: "ops"))
            try await waitUntil("the change shows through the API", within: .seconds(30)) {
                let (_, deployment, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.member)
                let (_, _, list) = try await world.send("GET", "/api/v1/deployments?environment_id=shop-prod", token: world.member)
                return deployment["status"] as? String == "cancelled" && list.contains(#""status":"cancelled""#)
            }
            let (_, _, list) = try await world.send("GET", "/api/v1/deployments?environment_id=shop-prod", token: world.member)
            #expect(list.contains(id) && !list.contains(#""status":"pending""#))
        }
    }

    /// A write answers from the deployment's own stream, folded as the projections fold it: once
    /// they caught up, they show exactly that.
    @Test func aWriteAnswersWhatTheProjectionsWillShow() async throws {
        try await DeploymentAPITests().withWorld { world in
            let (status, body, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: DeploymentAPITests.deploy)
            try #require(status == 201, "\(raw)")
            let first = try #require(body["id"] as? String)
            let (cancelled, cancel, _) = try await world.send("POST", "/api/v1/deployments/\(first)/cancel", token: world.admin, body: #"{"reason":"test"}"#)
            #expect(cancelled == 200 && cancel["status"] as? String == "cancelled")
            let (again, next, nextRaw) = try await world.send("POST", "/api/v1/environments/shop-prod/deploy", token: world.admin, body: "{}")
            #expect(again == 201, "\(nextRaw)")
            let second = try #require(next["id"] as? String)

            let reader = ProjectionReader(client: world.db.client, logger: TestDatabase.logger)
            try await reader.awaitPosition(nil, of: ["deployments", "progress"], store: world.db.store)
            let service = DeploymentService(store: world.db.store, source: "test")
            for id in [first, second] {
                let records = try await service.records(of: DomainIDs.deploymentStream(id))
                let folded = try #require(DeploymentView.folding(records, through: records.last?.position ?? 0))
                let projected = try #require(try await reader.deploymentView(id))
                #expect(folded.state == projected.state)
                #expect(folded.progress == projected.progress)
            }
        }
    }

    /// A write answers without waiting for the projections; a read of them that follows waits
    /// until they hold it — but never applies an event itself: with no runner here, the read is
    /// `503` and the projection has not moved, and once a runner brings it there the same read
    /// sees the write.
    @Test func aReadAfterAWriteWaitsForTheProjectionsToHoldItAndNeverAppliesEventsItself() async throws {
        try await DeploymentAPITests().withWorld(projections: false, requestTimeout: .seconds(10)) { world in
            let (status, body, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: DeploymentAPITests.deploy)
            try #require(status == 201, "\(raw)")
            let id = try #require(body["id"] as? String)
            #expect(body["status"] as? String == "pending")
            let reader = ProjectionReader(client: world.db.client, logger: TestDatabase.logger)
            let before = try await reader.position(of: "deployments")
            let (waited, _, answer) = try await world.send("GET", "/api/v1/deployments?environment_id=shop-prod", token: world.member)
            #expect(waited == 503 && answer.contains("is behind the log"), "\(answer)")
            #expect(try await reader.position(of: "deployments") == before, "a read applied projection events")
            // As `ledger project` does.
            let behind = try await ProjectionCatalog.catchUp(["deployments", "progress"], store: world.db.store, client: world.db.client, logger: TestDatabase.logger)
            #expect(behind.isEmpty)
            let (listed, _, list) = try await world.send("GET", "/api/v1/deployments?environment_id=shop-prod", token: world.member)
            #expect(listed == 200 && list.contains(id), "\(list)")
            let (got, deployment, _) = try await world.send("GET", "/api/v1/deployments/\(id)", token: world.member)
            #expect(got == 200 && deployment["id"] as? String == id)
        }
    }

    /// Answers served from memory so far, as `/metrics` counts them.
    static func hotReads(_ port: Int) async throws -> Double {
        let metrics: HTTP.Answer = try await HTTP.get(port, "/metrics")
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("ledger_http_hot_reads_total") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }
}
