import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Testing

/// Two `ledger serve` processes sharing a real Redis: SSE clients on both see every event of a
/// running deployment in order; a client that drops mid-way and reconnects with Last-Event-ID
/// ends with exactly the sequence of one that never left; Redis stopped mid-stream loses
/// nothing (the gateways wake from PostgreSQL) and is used again when it returns; a rate limit
/// is shared by both gateways and fails open while Redis is away.
@Suite(.serialized) struct LiveStreamTests {
    /// An organisation with one project and environment, a token for it, and two gateways.
    struct Setup: Sendable {
        let db: TestContext
        let redis: RedisServer
        let service: DeploymentService
        let token: String
        let ports: [Int]

        func get(_ gateway: Int, _ path: String, headers: [String] = []) async throws -> HTTP.Answer {
            try await HTTP.get(ports[gateway], path, headers: ["Authorization: Bearer \(token)"] + headers)
        }

        func post(_ gateway: Int, _ path: String, body: String = "{}") async throws -> HTTP.Answer {
            try await HTTP.send(
                "POST", ports[gateway], path, headers: ["Authorization: Bearer \(token)", "Content-Type: application/json"], body: body)
        }

        func metric(_ gateway: Int, _ name: String) async throws -> Double? {
            let text = try await HTTP.get(ports[gateway], "/metrics").body
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
    }

    func withGateways(_ extra: String = "", _ body: @Sendable (Setup) async throws -> Void) async throws {
        try await TestDatabase.withDatabase { db in
            try await RedisServer.with { redis in
                let (service, ops) = try await Fixture.acmeShop(db)
                for id in ["shop-prod", "shop-staging"] {
                    try await service.createEnvironment(
                        id: id, project: "shop", name: id,
                        configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
                }
                let token = try await GatewayTests.tokens(db).issue(name: "ops", role: .orgAdmin, organisation: "acme", project: nil, context: ops).secret.text
                let ports = [try freePort(), try freePort()]
                let url = db.url.connectionString
                var processes = [try await LedgerBinary.start("project", databaseURL: url)]
                for port in ports {
                    processes.append(try await LedgerBinary.start("serve --listen 127.0.0.1:\(port) --redis \(redis.url) \(extra)", databaseURL: url))
                }
                defer { for process in processes { process.signal(SIGKILL) } }
                for port in ports {
                    try await waitUntil("gateway \(port) is ready", within: .seconds(60)) { try await HTTP.get(port, "/readyz").status == 200 }
                }
                try await body(Setup(db: db, redis: redis, service: service, token: token, ports: ports))
                for process in processes { process.signal(SIGTERM) }
                for process in processes { _ = await process.wait() }
            }
        }
    }

    /// A curl client following one deployment's stream into a file.
    struct Client: Sendable {
        let file: String
        let marker: String
        let task: Task<Int32, Never>

        static func start(_ setup: Setup, gateway: Int, deployment: String, lastEventID: Int64? = nil) async throws -> Client {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-live-\(UUID().uuidString.prefix(8))").path
            let marker = "client-\(UUID().uuidString.prefix(8))"
            let resume = lastEventID.map { "-H 'Last-Event-ID: \($0)'" } ?? ""
            let url = "http://127.0.0.1:\(setup.ports[gateway])/api/v1/events?deployment_id=\(deployment)&who=\(marker)"
            let task = Task {
                (try? await ShellCommand.run("curl -sN -m 120 -H 'Authorization: Bearer \(setup.token)' \(resume) '\(url)' > \(file)")) ?? -1
            }
            let client = Client(file: file, marker: marker, task: task)
            try await waitUntil("the stream opened", within: .seconds(20)) { client.text.contains("retry:") }
            return client
        }

        var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
        var messages: [EventStreamTests.Message] { EventStreamTests.messages(text) }

        /// Cuts the connection, as a network failure would.
        func drop() async throws {
            _ = try await ShellCommand.run("pkill -f \(marker)")
            _ = await task.value
        }

        /// Waits for the stream to end by itself (after the deployment's final event).
        func ended() async -> Int32 { await task.value }
    }

    @Test func everyClientOnEitherGatewayGetsEveryEventInOrderThroughARedisOutageAndAReconnect() async throws {
        try await withGateways { setup in
            let id = try #require(try await setup.service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: .init(actor: "ops")).deploymentID)
            try await waitUntil("the deployment is in the read models", within: .seconds(30)) {
                let a = try await setup.get(0, "/api/v1/deployments/\(id)").status
                let b = try await setup.get(1, "/api/v1/deployments/\(id)").status
                return a == 200 && b == 200
            }
            let onA = try await Client.start(setup, gateway: 0, deployment: id)
            let onB = try await Client.start(setup, gateway: 1, deployment: id)
            let leaving = try await Client.start(setup, gateway: 1, deployment: id)

            let worker = FencedExecution(executor: "worker-live", lease: "lease-live")
            let context = CommandContext(actor: "worker")
            let step = DeploymentStep(rawValue: "build")!
            let service = setup.service
            try await service.execute(deployment: id, context: context) { state, _ in try worker.claim(state, pipeline: "deploy", steps: [step]) }
            try await service.execute(deployment: id, context: context) { state, progress in try worker.startStep(state, progress, step: step) }
            @Sendable func logs(_ from: Int, _ to: Int) async throws {
                for n in from..<to {
                    try await service.execute(deployment: id, context: context) { state, _ in
                        try worker.appendLogs(state, lines: [LogLine(level: .info, step: step, message: "line \(n)", atMicroseconds: Int64(n))])
                    }
                    try await Task.sleep(for: .milliseconds(30))
                }
            }
            try await logs(0, 10)
            try await waitUntil("every client has the first lines", within: .seconds(20)) {
                [onA, onB, leaving].allSatisfy { $0.text.contains(#""message":"line 9""#) }
            }
            try await leaving.drop()
            let lastSeen = try #require(leaving.messages.last?.id)

            // Redis goes away mid-stream: the gateways wake from PostgreSQL instead.
            await setup.redis.stop()
            try await logs(10, 20)
            let back = try await Client.start(setup, gateway: 0, deployment: id, lastEventID: lastSeen)
            try await waitUntil("every client has the lines sent while Redis was down", within: .seconds(20)) {
                [onA, onB, back].allSatisfy { $0.text.contains(#""message":"line 19""#) }
            }
            #expect(try await setup.metric(0, "ledger_redis_available") == 0)

            // And when it returns, it is used again.
            try await setup.redis.start()
            try await waitUntil("both gateways see Redis again", within: .seconds(30)) {
                let a = try await setup.metric(0, "ledger_redis_available")
                let b = try await setup.metric(1, "ledger_redis_available")
                return a == 1 && b == 1
            }
            try await logs(20, 30)
            try await service.execute(deployment: id, context: context) { state, progress in try worker.completeStep(state, progress, step: step, durationMs: 5, summary: nil) }
            try await service.execute(deployment: id, context: context) { state, progress in
                try worker.succeed(state, progress, environment: try #require(try await service.environment("shop-prod")))
            }
            for client in [onA, onB, back] {
                #expect(await client.ended() == 0, "the stream ended by itself after the final event")
            }

            let expected = try await setup.db.store.read(stream: DomainIDs.deploymentStream(id)).map(\.position)
            #expect(onA.messages.map(\.id) == expected, "gateway A: every event, in order, once")
            #expect(onB.messages == onA.messages, "gateway B: the same sequence")
            #expect(leaving.messages + back.messages == onA.messages, "a reconnect with Last-Event-ID: no gap, no duplicate")
            #expect(onA.messages.last?.data.contains(#""status":"success""#) == true)
        }
    }

    @Test func aRateLimitIsSharedByTwoGatewaysAndFailsOpenWithoutRedis() async throws {
        try await withGateways("--deploy-rate-limit 3") { setup in
            // A gateway counts in Redis once it has reached it; before, a just-started (or, on a
            // loaded machine, slow) connection makes the limit fail open, which is tested below.
            try await waitUntil("both gateways reach Redis", within: .seconds(30)) {
                let a = try await setup.metric(0, "ledger_redis_available")
                let b = try await setup.metric(1, "ledger_redis_available")
                return a == 1 && b == 1
            }
            // Split between two windows, the requests below would be allowed up to six.
            try await startWellInsideARateLimitWindow()
            var statuses: [Int] = []
            for n in 0..<6 {
                statuses.append(try await setup.post(n % 2, "/api/v1/environments/shop-prod/deploy").status)
            }
            // Three operations a minute for the organisation, whichever gateway takes them.
            #expect(statuses.filter { $0 != 429 }.count == 3, "\(statuses)")
            #expect(Array(statuses.suffix(3)) == [429, 429, 429], "\(statuses)")
            let head = try await setup.db.store.headPosition()
            let refused = try await setup.post(1, "/api/v1/environments/shop-staging/deploy")
            #expect(refused.status == 429 && refused.body.contains("rate_limited"))
            #expect(refused.headers.lowercased().contains("retry-after:"))
            #expect(try await setup.db.store.headPosition() == head, "nothing written over the limit")

            // Without Redis the limit cannot be counted: requests pass (fail open) and are counted as such.
            await setup.redis.stop()
            let open = try await setup.post(0, "/api/v1/environments/shop-staging/deploy")
            #expect(open.status == 201, "\(open.body)")
            #expect(try await setup.metric(0, "ledger_rate_limit_unavailable_total") ?? 0 >= 1)
        }
    }
}
