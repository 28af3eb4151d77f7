import ChildProcess
import Foundation
import Ledger
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
