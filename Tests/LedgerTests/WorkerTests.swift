import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Logging
import PostgresNIO
import Testing

/// The worker end to end on the local runner against a real PostgreSQL: claims under a lease,
/// runs a pipeline file's steps for real, writes their output as log lines, fails on a failing
/// step, and stops a cancelled step's whole process group.
@Suite(.serialized)
struct WorkerTests {
    @Test func aDeploymentRunsThePipelineFileAndItsOutputBecomesLogLines() async throws {
        try await withWorkerSetup("""
            steps:
              - id: preparing
                run: echo prepared {{environment}}; echo careful >&2
              - id: building
                run: printf 'no newline at the end'
              - id: finishing
                run: echo finished {{release_id}}
            """) { setup in
            let id = try await setup.deploy()
            try await setup.worker().work(untilIdle: true)
            let (state, progress) = try #require(try await setup.service.deploymentWithProgress(id))
            #expect(state.status == .success)
            #expect(progress.steps.map(\.step.rawValue) == ["preparing", "building", "finishing"])
            #expect(progress.steps.allSatisfy { $0.status == .completed })
            let lines = try await setup.logLines(id)
            #expect(lines.contains { $0.message == "prepared shop-dev" && $0.level == .info && $0.step?.rawValue == "preparing" })
            #expect(lines.contains { $0.message == "careful" && $0.level == .warning })
            #expect(lines.contains { $0.message == "no newline at the end" })
            #expect(lines.contains { $0.message == "finished \(id)" })
            #expect(try await setup.leases.held().isEmpty, "the lease is released at the end")
        }
    }

    @Test func aFailingStepFailsTheDeploymentAndRunsNothingAfterIt() async throws {
        try await withWorkerSetup("""
            steps:
              - id: first
                run: echo about to fail; exit 7
              - id: second
                run: touch {{marker}}
            variables:
              marker: /tmp/never
            """) { setup in
            let marker = setup.directory + "/second-ran"
            let id = try await setup.deploy(settings: ["marker": marker])
            try await setup.worker().work(untilIdle: true)
            let (state, progress) = try #require(try await setup.service.deploymentWithProgress(id))
            #expect(state.status == .failed)
            #expect(state.error?.contains("exited with status 7") == true)
            #expect(progress.steps.first?.status == .failed)
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func cancellingDuringALongStepStopsItsWholeProcessGroup() async throws {
        try await withWorkerSetup("""
            steps:
              - id: waiting
                run: sleep 300 & echo started $!; wait
            """) { setup in
            let id = try await setup.deploy()
            let worker = Task { try await setup.worker().work(untilIdle: false) }
            defer { worker.cancel() }
            try await waitUntil("the step started", within: .seconds(20)) {
                try await setup.logLines(id).contains { $0.message.hasPrefix("started") }
            }
            let sleeper = try #require(try await setup.logLines(id).first { $0.message.hasPrefix("started") }.map { Int32($0.message.dropFirst(8))! })
            try await setup.service.cancel(id, reason: "changed my mind", context: .init(actor: "ana"))
            do {
                try await waitUntil("the deployment is cancelled", within: .seconds(30)) {
                    try await setup.service.deployment(id)?.status == .cancelled
                }
            } catch {
                for record in try await setup.service.records(of: DomainIDs.deploymentStream(id)) { print(record.event) }
                throw error
            }
            let records = try await setup.service.records(of: DomainIDs.deploymentStream(id))
            let confirmation = try #require(records.compactMap { if case .deploymentCancelled(let e) = $0.event { e } else { nil } }.first)
            let stopped = try #require(confirmation.stopped)
            #expect(stopped.signal == "TERM")
            #expect(stopped.step?.rawValue == "waiting")
            let group = try #require(stopped.processGroup)
            #expect(try await processGroupIsGone(group), "the process group is gone")
            #expect(try await ShellCommand.run("ps -o stat= -p \(sleeper) | grep -qv '^Z'") != 0, "the step's child is gone")
        }
    }

    /// A cancel asked while a failing step waits out its retry pause ends the deployment
    /// `cancelled` at once: no further attempt runs.
    @Test func aCancelDuringARetryPauseWinsAndNoFurtherAttemptRuns() async throws {
        try await withWorkerSetup("""
            steps:
              - id: flaky
                retries: 3
                backoff: [60s]
                run: echo attempt >> {{counter}}; exit 1
            variables:
              counter: /tmp/never
            """) { setup in
            let counter = setup.directory + "/attempts"
            let id = try await setup.deploy(settings: ["counter": counter])
            let worker = Task { try await setup.worker().work(untilIdle: false) }
            defer { worker.cancel() }
            try await waitUntil("the first attempt failed", within: .seconds(20)) {
                let status = try await setup.service.deployment(id)?.status
                return (try? String(contentsOfFile: counter, encoding: .utf8)) == "attempt\n" && status == .deploying
            }
            try await Task.sleep(for: .milliseconds(500))
            try await setup.service.cancel(id, reason: "not this one", context: .init(actor: "ana"))
            try await waitUntil("the deployment is cancelled", within: .seconds(15)) {
                try await setup.service.deployment(id)?.status == .cancelled
            }
            #expect(try String(contentsOfFile: counter, encoding: .utf8) == "attempt\n", "one attempt ran, no other")
            #expect(try await setup.logLines(id).contains { $0.message.contains("attempt 2 of 4 in 60.0 s") }, "the pause was announced as it began")
        }
    }

    /// A step whose process left its group (`setsid`) and holds its output cannot keep a
    /// cancelled deployment running: past the grace period and the escape bound the worker
    /// stops waiting, confirms `cancelled` and records what escaped.
    @Test func cancellingAStepWhoseProcessEscapedItsGroupEndsCancelledAndNamesIt() async throws {
        try await withWorkerSetup("""
            steps:
              - id: escaping
                run: setsid sleep 97 & echo started; wait
            """) { setup in
            let id = try await setup.deploy()
            let worker = Task { try await setup.worker().work(untilIdle: false) }
            defer { worker.cancel() }
            try await waitUntil("the step started", within: .seconds(20)) {
                try await setup.logLines(id).contains { $0.message == "started" }
            }
            try await setup.service.cancel(id, reason: "stop it", context: .init(actor: "ana"))
            // Grace 3 s + escape bound 5 s, and room for a loaded machine.
            try await waitUntil("the deployment is cancelled", within: .seconds(30)) {
                try await setup.service.deployment(id)?.status == .cancelled
            }
            let records = try await setup.service.records(of: DomainIDs.deploymentStream(id))
            let stopped = try #require(records.compactMap { if case .deploymentCancelled(let e) = $0.event { e.stopped } else { nil } }.first)
            #expect(stopped.escaped == true)
            let escaped = try #require(stopped.escapedProcesses?.first { $0.contains("sleep 97") })
            if let pid = Int32(escaped.split(separator: " ").first ?? "") { kill(pid, SIGKILL) }
            #expect(try await setup.logLines(id).contains { $0.message.contains("left the group") })
        }
    }

    @Test func aWorkerWhoseLeaseWasTakenOverCanWriteNothing() async throws {
        try await withWorkerSetup("steps:\n  - id: only\n    run: 'true'\n") { setup in
            let id = try await setup.deploy()
            let stale = FencedExecution(executor: "worker-a", lease: "lease-a")
            let fresh = FencedExecution(executor: "worker-b", lease: "lease-b")
            let context = CommandContext(actor: "worker")
            try await setup.service.execute(deployment: id, context: context) { state, _ in
                try stale.claim(state, pipeline: "deploy", steps: [DeploymentStep(rawValue: "only")!])
            }
            try await setup.service.execute(deployment: id, context: context) { state, progress in try stale.startStep(state, progress, step: DeploymentStep(rawValue: "only")!) }
            try await setup.service.execute(deployment: id, context: context) { state, progress in try fresh.takeOver(state, progress, expiredLease: "lease-a") }
            let head = try await setup.store.headPosition()
            let line = LogLine(level: .info, step: nil, message: "zombie", atMicroseconds: 0)
            await #expect(throws: CommandRejection.self) {
                try await setup.service.execute(deployment: id, context: context) { state, _ in try stale.appendLogs(state, lines: [line]) }
            }
            #expect(try await setup.store.headPosition() == head, "the stale write wrote nothing")
            let state = try #require(try await setup.service.deployment(id))
            #expect(state.status == .failed)
            #expect(state.executor == "worker-b")
            #expect(state.error?.contains("stopped renewing its lease during step only") == true)
        }
    }

    @Test func aStaleWorkerDecidingOnTheStateItLastSawCannotSlipALogLineIn() async throws {
        try await withWorkerSetup("steps:\n  - id: only\n    run: 'true'\n") { setup in
            let id = try await setup.deploy()
            let stale = FencedExecution(executor: "worker-a", lease: "lease-a")
            let fresh = FencedExecution(executor: "worker-b", lease: "lease-b")
            let context = CommandContext(actor: "worker")
            try await setup.service.execute(deployment: id, context: context) { state, _ in
                try stale.claim(state, pipeline: "deploy", steps: [DeploymentStep(rawValue: "only")!])
            }
            // What the stale worker last saw: running, under its own lease.
            let (seen, _) = try #require(try await setup.service.deploymentWithProgress(id))
            try await setup.service.execute(deployment: id, context: context) { state, progress in try fresh.takeOver(state, progress, expiredLease: "lease-a") }
            let head = try await setup.store.headPosition()
            var service = setup.service
            service.maximumAttempts = 2
            let line = LogLine(level: .info, step: nil, message: "zombie", atMicroseconds: 0)
            // Its decision passes on that old state; only the exact stream version it appends at stops it.
            await #expect(throws: CommandRejection.self) {
                try await service.execute(context) { .init(try stale.appendLogs(seen, lines: [line]), organisation: "acme", project: "shop") }
            }
            #expect(try await setup.store.headPosition() == head, "the stale line was not written")
        }
    }

    @Test func aWriteUnderAnotherLeaseIsRefusedEvenWhileTheDeploymentRuns() throws {
        let id = "d-1"
        let requested = DeploymentRequested(
            deploymentID: id, environmentID: "shop-dev", projectID: "shop", organisationID: "acme", number: 1, trigger: .manual,
            git: GitReference(branch: "main"), requestedBy: "ana",
            configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)))
        let events: [DomainEvent] = [
            .deploymentRequested(requested), .deploymentQueued(DeploymentQueued(deploymentID: id)),
            .deploymentStarted(DeploymentStarted(deploymentID: id, executor: "worker-a", lease: "lease-a")),
            .deploymentTakenOver(DeploymentTakenOver(
                deploymentID: id, executor: "worker-b", lease: "lease-b", previousExecutor: "worker-a", previousLease: "lease-a", interruptedStep: nil)),
        ]
        let records = events.enumerated().map { index, event in
            DomainRecord(position: Int64(index + 1), streamID: DomainIDs.deploymentStream(id), streamVersion: Int64(index + 1), recordedAtMicroseconds: 0, event: event)
        }
        let state = try #require(DeploymentState.fold(records))
        #expect(state.status == .building && state.lease == "lease-b")
        let line = LogLine(level: .info, step: nil, message: "x", atMicroseconds: 0)
        do {
            _ = try FencedExecution(executor: "worker-a", lease: "lease-a").appendLogs(state, lines: [line])
            Issue.record("a write under the old lease was accepted")
        } catch let rejection as CommandRejection {
            #expect(rejection.code == .staleLease)
        }
        #expect(try FencedExecution(executor: "worker-b", lease: "lease-b").appendLogs(state, lines: [line]).writes.count == 1)
    }
}

/// A database, an organisation with one environment, a pipeline file and a worker on the local runner.
struct WorkerSetup: Sendable {
    let service: DeploymentService
    let store: EventStore
    let client: PostgresClient
    let leases: LeaseStore
    let directory: String
    let pipeline: Pipeline

    func deploy(settings: [String: String]? = nil) async throws -> String {
        if let settings {
            var configuration = try #require(try await service.environment("shop-dev")?.configuration)
            configuration.settings = settings
            try await service.configureEnvironment("shop-dev", configuration: configuration, context: .init(actor: "ana"))
        }
        let outcome = try await service.deploy(environment: "shop-dev", git: GitReference(branch: "main", commit: "abc1234"), force: true, context: .init(actor: "ana"))
        return try #require(outcome.deploymentID)
    }

    func worker(_ configure: (inout WorkerConfiguration) -> Void = { _ in }) -> DeploymentWorker {
        var configuration = WorkerConfiguration(name: "worker-test")
        configuration.flushInterval = .milliseconds(50)
        configuration.stopGrace = .seconds(3)
        configure(&configuration)
        let directory = directory
        return DeploymentWorker(
            service: service, leases: leases, configuration: configuration, pipelines: ["deploy": pipeline], logger: TestDatabase.logger
        ) { _ in LocalRunner(workingDirectory: directory) }
    }

    func logLines(_ id: String) async throws -> [LogLine] {
        try await service.records(of: DomainIDs.deploymentStream(id)).flatMap { record -> [LogLine] in
            if case .logLinesAppended(let e) = record.event { e.lines } else { [] }
        }
    }
}

func withWorkerSetup(_ yaml: String, _ body: @Sendable (WorkerSetup) async throws -> Void) async throws {
    try await TestDatabase.withDatabase { db in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-worker-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipeline = try PipelineLoader.parse(yaml, name: "deploy", file: "deploy.yml")
        let (service, _) = try await Fixture.acmeShop(db)
        try await service.createEnvironment(
            id: "shop-dev", project: "shop", name: "dev",
            configuration: EnvironmentConfiguration(host: "localhost", resources: Resources(cpuMillicores: 100, memoryMB: 64, diskGB: 1)),
            context: .init(actor: "ana"))
        try await body(WorkerSetup(
            service: service, store: db.store, client: db.client, leases: LeaseStore(client: db.client, logger: TestDatabase.logger), directory: directory,
            pipeline: pipeline))
    }
}
