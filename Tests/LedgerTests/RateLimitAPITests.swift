import Foundation
import Gateway
import Ledger
import LedgerRedis
import LedgerTestSupport
import Testing

/// Rate limits over HTTP in one gateway: how they answer when they cannot count. (Limits shared
/// by two gateways through a real Redis are in `LiveStreamTests`; webhooks' own limit in
/// `WebhookTests`.)
@Suite(.serialized) struct RateLimitAPITests {
    @Test func withRedisUnreachableAClosedRateLimitRefusesAndWritesNothing() async throws {
        let options = GatewayOptions(
            redis: .unix(path: "/tmp/ledger-no-redis-\(UUID().uuidString.prefix(8)).sock"), limits: .init(deploymentsPerMinute: 10, failOpen: false))
        try await DeploymentAPITests().withWorld(options: options) { world in
            let head = try await world.db.store.headPosition()
            let answer = try await HTTP.send(
                "POST", world.port, "/api/v1/deployments", headers: ["Authorization: Bearer \(world.admin)", "Content-Type: application/json"],
                body: DeploymentAPITests.deploy)
            #expect(answer.status == 503 && answer.body.contains("rate_limit_unavailable"), "\(answer.body)")
            #expect(answer.headers.lowercased().contains("retry-after:"))
            #expect(try await world.db.store.headPosition() == head, "nothing written")
            // Reads are not rate-limited: they still answer.
            let (listed, _, _) = try await world.send("GET", "/api/v1/deployments", token: world.admin)
            #expect(listed == 200)
        }
    }
}
