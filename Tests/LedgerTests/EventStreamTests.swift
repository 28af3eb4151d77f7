import ChildProcess
import Foundation
import LedgerClient
import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import Projections
import LedgerTestSupport
import Testing

/// `GET /api/v1/events`: a deployment's events as Server-Sent Events while it runs, in log
/// order, ending after its final event; a reconnect with Last-Event-ID gets exactly the rest;
/// another organisation's token is told the deployment does not exist.
@Suite struct EventStreamTests {
    @Test func aClientSeesADeploymentLiveAndAReconnectGetsExactlyTheRest() async throws {
        try await DeploymentAPITests().withWorld { world in
            let service = DeploymentService(store: world.db.store, source: "test")
            let id = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: .init(actor: "ops")).deploymentID)
            try await ProjectionReaderWait.until(world, id)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-sse-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let url = "http://127.0.0.1:\(world.port)/api/v1/events?deployment_id=\(id)"
            let listening = Task {
                try await ShellCommand.run("curl -sN -m 30 -H 'Authorization: Bearer \(world.admin)' '\(url)' > \(out)")
            }
            try await waitUntil("the stream opened", within: .seconds(10)) {
                ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("retry:")
            }
            // A worker runs it while the client listens.
            let worker = FencedExecution(executor: "worker-sse", lease: "lease-sse")
            let context = CommandContext(actor: "worker")
            let step = DeploymentStep(rawValue: "build")!
            try await service.execute(deployment: id, context: context) { state, _ in try worker.claim(state, pipeline: "deploy", steps: [step]) }
            try await service.execute(deployment: id, context: context) { state, progress in try worker.startStep(state, progress, step: step) }
            try await service.execute(deployment: id, context: context) { state, _ in
                try worker.appendLogs(state, lines: [LogLine(level: .info, step: step, message: "compiling", atMicroseconds: 1)])
            }
            try await service.execute(deployment: id, context: context) { state, progress in try worker.completeStep(state, progress, step: step, durationMs: 5, summary: nil) }
            try await service.execute(deployment: id, context: context) { state, progress in
                try worker.succeed(state, progress, environment: try #require(try await service.environment("shop-prod")))
            }
            #expect(try await listening.value == 0, "the stream ended by itself after the final event")
            let live = Self.messages(try String(contentsOfFile: out, encoding: .utf8))
            #expect(live.map(\.event) == [
                "deployment.status", "deployment.status", "deployment.status", "deployment.progress", "deployment.log", "deployment.progress",
                "deployment.status",
            ])
            #expect(live.map(\.id) == live.map(\.id).sorted() && Set(live.map(\.id)).count == live.count, "in log order, once each")
            #expect(live.last?.data.contains(#""status":"success""#) == true)
            #expect(live[4].data.contains(#""message":"compiling""#))
            // Every message is one of the client's wire types (LedgerClient), in the seed's keys.
            let requested = try JSONDecoder().decode(LiveStatusChange.self, from: Data(live[0].data.utf8))
            #expect(requested.status == "pending" && requested.environmentID == "shop-prod" && requested.steps?.isEmpty == false)
            let started = try JSONDecoder().decode(LiveStepChange.self, from: Data(live[3].data.utf8))
            #expect(started.step == "build" && started.stepStatus == "running" && started.deploymentID == id)
            let completed = try JSONDecoder().decode(LiveStepChange.self, from: Data(live[5].data.utf8))
            #expect(completed.stepStatus == "completed" && completed.durationMs == 5)
            #expect(live[5].data.contains(#""step_status":"completed""#) && live[5].data.contains(#""duration_ms":5"#))
            #expect(try JSONDecoder().decode(LiveLogBatch.self, from: Data(live[4].data.utf8)).lines.first?.message == "compiling")

            // Reconnecting after the third message gets the rest, nothing before it.
            let resumed = try await HTTP.get(
                world.port, "/api/v1/events?deployment_id=\(id)", headers: ["Authorization: Bearer \(world.admin)", "Last-Event-ID: \(live[2].id)"])
            #expect(resumed.status == 200)
            #expect(Self.messages(resumed.body).map(\.id) == live.dropFirst(3).map(\.id))

            let stranger = try await HTTP.get(world.port, "/api/v1/events?deployment_id=\(id)", headers: ["Authorization: Bearer \(world.stranger)"])
            #expect(stranger.status == 404)
            // The whole stream, caught up and closed: an insider sees this deployment, an outsider nothing at all.
            let everything = try await HTTP.get(world.port, "/api/v1/events?follow=false", headers: ["Authorization: Bearer \(world.admin)"])
            #expect(Self.messages(everything.body).map(\.id) == live.map(\.id))
            let outsider = try await HTTP.get(world.port, "/api/v1/events?follow=false", headers: ["Authorization: Bearer \(world.stranger)"])
            #expect(outsider.status == 200 && Self.messages(outsider.body).isEmpty)
            let bad = try await HTTP.get(world.port, "/api/v1/events", headers: ["Authorization: Bearer \(world.admin)", "Last-Event-ID: yesterday"])
            #expect(bad.status == 400)
        }
    }

    /// A stream that starts mid-deployment needs no read model: the deployment's environment
    /// comes from its own stream. Followed here by the CLI's client, which ends with the deployment.
    @Test func aStreamResumedMidDeploymentNeedsNoReadModelAndTheClientFollowsItToTheEnd() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, token, id) = try await Self.deploymentInProgress(db)
            let ops = CommandContext(actor: "ops")
            let worker = Self.worker
            let step = DeploymentStep(rawValue: "build")!
            let started = try await service.execute(deployment: id, context: ops) { state, _ in try worker.claim(state, pipeline: "deploy", steps: [step]) }
            let afterStart = try #require(started.position)
            for n in 0..<3 {
                try await service.execute(deployment: id, context: ops) { state, _ in
                    try worker.appendLogs(state, lines: [LogLine(level: .info, step: nil, message: "line \(n)", atMicroseconds: Int64(n))])
                }
            }
            // No projection has run: there is no read model at all.
            try await Self.withGateway(db) { port in
                let rest = try await HTTP.get(port, "/api/v1/events?follow=false&after=\(afterStart)", headers: ["Authorization: Bearer \(token)"])
                #expect(Self.messages(rest.body).map(\.event) == ["deployment.log", "deployment.log", "deployment.log"], "\(rest.body)")

                var client = try GatewayClient(url: "http://127.0.0.1:\(port)")
                client.token = token
                let following = Task { [client] in
                    var seen: [ServerSentEvent] = []
                    try await client.followEvents(query: "deployment_id=\(id)") { seen.append($0) }
                    return seen
                }
                try await Task.sleep(for: .milliseconds(300))
                try await service.execute(deployment: id, context: ops) { state, progress in try worker.startStep(state, progress, step: step) }
                try await service.execute(deployment: id, context: ops) { state, progress in
                    try worker.completeStep(state, progress, step: step, durationMs: 1, summary: nil)
                }
                try await service.execute(deployment: id, context: ops) { state, progress in
                    try worker.succeed(state, progress, environment: try #require(try await service.environment("shop-prod")))
                }
                let seen = try await withTimeout(.seconds(20)) { try await following.value }
                let expected = try await db.store.read(stream: DomainIDs.deploymentStream(id)).map(\.position)
                #expect(seen.compactMap(\.id) == expected, "every event of the deployment, then the stream ended")
                #expect(seen.last?.data.contains(#""status":"success""#) == true)
            }
        }
    }

    /// A new stream that gives no position starts live at the head: the history already in the
    /// log is not replayed to it (a client asks for it with `after=` or `Last-Event-ID`).
    @Test func aNewStreamWithoutAPositionStartsLiveAtTheHead() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, token, id) = try await Self.deploymentInProgress(db)
            let ops = CommandContext(actor: "ops")
            let worker = Self.worker
            try await service.execute(deployment: id, context: ops) { state, _ in try worker.claim(state, pipeline: "deploy", steps: nil) }
            for n in 0..<20 {
                try await service.execute(deployment: id, context: ops) { state, _ in
                    try worker.appendLogs(state, lines: [LogLine(level: .info, step: nil, message: "old \(n)", atMicroseconds: Int64(n))])
                }
            }
            try await Self.withGateway(db) { port in
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-head-\(UUID().uuidString.prefix(8))").path
                defer { try? FileManager.default.removeItem(atPath: out) }
                let listening = Task {
                    try await ShellCommand.run("curl -sN -m 8 -H 'Authorization: Bearer \(token)' 'http://127.0.0.1:\(port)/api/v1/events' > \(out)")
                }
                try await waitUntil("the stream opened", within: .seconds(10)) {
                    ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("retry:")
                }
                let new = try await service.execute(deployment: id, context: ops) { state, _ in
                    try worker.appendLogs(state, lines: [LogLine(level: .info, step: nil, message: "new", atMicroseconds: 99)])
                }
                try await waitUntil("the new event arrived", within: .seconds(10)) {
                    Self.messages((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains { $0.id == new.position }
                }
                listening.cancel()
                let seen = Self.messages(try String(contentsOfFile: out, encoding: .utf8))
                #expect(seen.map(\.id) == [new.position], "only what came after it connected: \(seen.map(\.id))")
                // The history is there for whoever asks for it.
                let history = try await HTTP.get(port, "/api/v1/events?follow=false&after=0", headers: ["Authorization: Bearer \(token)"])
                #expect(Self.messages(history.body).count >= 21)
            }
        }
    }

    /// A client that stops reading is cut off once its buffer fills, without slowing anyone:
    /// a client reading alongside gets every event, and the slow one resumes by Last-Event-ID.
    @Test func aClientThatFallsBehindIsCutOffAndResumesWhileOthersGetEverything() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, token, id) = try await Self.deploymentInProgress(db)
            let ops = CommandContext(actor: "ops")
            let worker = Self.worker
            try await service.execute(deployment: id, context: ops) { state, _ in try worker.claim(state, pipeline: "deploy", steps: nil) }
            let head = try await db.store.headPosition()
            var options = GatewayOptions()
            options.feed.clientBuffer = 10
            try await Self.withGateway(db, options: options) { port in
                let path = "/api/v1/events?after=\(head)"
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-slow-\(UUID().uuidString.prefix(8))").path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer {
                    Task { [directory] in _ = try? await ShellCommand.run("pkill -f \(directory)") }
                    try? FileManager.default.removeItem(atPath: directory)
                }
                // A client with a tiny receive buffer that reads nothing until told to, then everything.
                let script = """
                    import os, socket, time
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    s.connect(("127.0.0.1", \(port)))
                    s.sendall(b"GET \(path) HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer \(token)\\r\\n\\r\\n")
                    open("\(directory)/connected", "w").close()
                    waited = 0
                    while not os.path.exists("\(directory)/go") and waited < 3000: time.sleep(0.1); waited += 1
                    s.settimeout(20); data = b""
                    while True:
                        chunk = s.recv(65536)
                        data += chunk
                        if not chunk or data.endswith(b"\\r\\n0\\r\\n\\r\\n"): break
                    open("\(directory)/slow", "wb").write(data)
                    """
                try script.write(toFile: directory + "/slow.py", atomically: true, encoding: .utf8)
                let slow = Task { (try? await ShellCommand.run("python3 \(directory)/slow.py > \(directory)/slow.err 2>&1")) ?? -1 }
                try await waitUntil("the slow client connected", within: .seconds(10)) { FileManager.default.fileExists(atPath: directory + "/connected") }
                let fast = Task { try await ShellCommand.run("curl -sN -m 600 -H 'Authorization: Bearer \(token)' 'http://127.0.0.1:\(port)\(path)' > \(directory)/fast") }
                try await waitUntil("both streams are open", within: .seconds(10)) {
                    (try await HTTP.get(port, "/metrics").body).contains("ledger_sse_clients 2.0")
                }
                // Far more than the kernel's buffers and the slow client's 10 events hold.
                let bulk = String(repeating: "x", count: 4_000)
                for n in 0..<400 {
                    try await service.execute(deployment: id, context: ops) { state, _ in
                        try worker.appendLogs(state, lines: (0..<4).map { _ in LogLine(level: .info, step: nil, message: "\(n) \(bulk)", atMicroseconds: Int64(n)) })
                    }
                }
                let final = try await db.store.headPosition()
                try await waitUntil("the fast client has every event", within: .seconds(180)) {
                    Self.messages((try? String(contentsOfFile: directory + "/fast", encoding: .utf8)) ?? "").last?.id == final
                }
                try await waitUntil("the slow client was cut off", within: .seconds(120)) {
                    (try await HTTP.get(port, "/metrics").body).contains("ledger_sse_clients 1.0")
                }
                _ = FileManager.default.createFile(atPath: directory + "/go", contents: nil)
                #expect(await slow.value == 0)
                let slowText = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: directory + "/slow"))) ?? Data(), as: UTF8.self)
                let got = Self.messages(slowText.replacingOccurrences(of: "\r\n", with: "\n"))
                let lastSeen = try #require(got.last?.id)
                #expect(lastSeen < final, "the slow client's stream ended before the end")
                let expected = try await db.store.read(stream: DomainIDs.deploymentStream(id), limit: 10_000).map(\.position).filter { $0 > head }
                let resumed = try await HTTP.get(port, "/api/v1/events?follow=false", headers: ["Authorization: Bearer \(token)", "Last-Event-ID: \(lastSeen)"])
                #expect(got.map(\.id) + Self.messages(resumed.body).map(\.id) == expected, "cut off, then resumed: no gap, no duplicate")
                fast.cancel()
            }
        }
    }

    /// A gateway on a free port over `db` (no projection runner: streams need none) while `body` runs.
    static func withGateway(_ db: TestContext, options: GatewayOptions = .init(), _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
        let server = GatewayServer(reader: reader, store: db.store, tokens: GatewayTests.tokens(db), port: 0, options: options, logger: TestDatabase.logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { port in continuation.yield(port) } }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            group.cancelAll()
        }
    }

    static let worker = FencedExecution(executor: "w", lease: "l")

    /// `acme/shop/shop-prod` with one deployment requested, and an org admin's token.
    static func deploymentInProgress(_ db: TestContext) async throws -> (DeploymentService, String, String) {
        let (service, ops) = try await Fixture.acmeShop(db)
        try await service.createEnvironment(
            id: "shop-prod", project: "shop", name: "prod",
            configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
        let token = try await GatewayTests.tokens(db).issue(name: "ops", role: .orgAdmin, organisation: "acme", project: nil, context: ops).secret.text
        let id = try #require(try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: ops).deploymentID)
        return (service, token, id)
    }

    struct Message: Equatable {
        var id: Int64
        var event: String
        var data: String
    }

    /// The messages of an SSE body (comments and the retry line left out).
    static func messages(_ body: String) -> [Message] {
        body.components(separatedBy: "\n\n").compactMap { block in
            var id: Int64?, event = "", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return id.map { Message(id: $0, event: event, data: data) }
        }
    }
}

/// Waits until the read models show a deployment (the stream checks visibility through them).
enum ProjectionReaderWait {
    static func until(_ world: DeploymentAPITests.World, _ id: String) async throws {
        try await waitUntil("the deployment is in the read models", within: .seconds(20)) {
            try await HTTP.get(world.port, "/api/v1/deployments/\(id)", headers: ["Authorization: Bearer \(world.admin)"]).status == 200
        }
    }
}
