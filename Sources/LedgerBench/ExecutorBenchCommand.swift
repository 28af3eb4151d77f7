import CommandRuntime
import ArgumentParser
import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import Logging
import LoopbackSSH
import PostgresNIO

/// `ledger-bench executor`: the executor against what a script would do with OpenSSH on the
/// same loopback sshd in the same run — per-step overhead against `ssh host true` in a loop
/// (and one ssh running every step: the floor), log throughput against `ssh host seq`, and
/// many small deployments through several workers on the local runner.
struct ExecutorBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor", abstract: "Benchmark the executor over SSH against OpenSSH's own client in the same run.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Steps in the no-op pipeline.") var steps = 100
    @Option(help: "Lines the chatty step prints.") var lines = 200_000
    @Option(help: "No-op deployments for the throughput measurement.") var deployments = 1_000
    @Option(help: "Workers for the throughput measurement.") var workers = 10

    func validate() throws {
        guard steps > 0, lines > 0, deployments > 0, workers > 0 else { throw ValidationError("every count must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [steps, lines, deployments, workers, quiet = connection.quiet] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger) { _, client in
                    var logger = session.logger
                    logger.logLevel = .error
                    let status: @Sendable (String) -> Void = { if !quiet { printError("bench: \($0)") } }
                    let ssh = try await SSHServer.start()
                    let keys = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-keys-\(UUID().uuidString.prefix(8))").path
                    defer { try? FileManager.default.removeItem(atPath: keys) }
                    do {
                        let bench = ExecutorBench(
                            ssh: ssh, store: EventStore(client: client, logger: logger), leases: LeaseStore(client: client, logger: logger),
                            logger: logger, status: status, keyring: Keyring(root: keys))
                        let report = try await bench.run(steps: steps, lines: lines, deployments: deployments, workers: workers)
                        await ssh.stop()
                        printLine(report.render())
                    } catch {
                        await ssh.stop()
                        throw error
                    }
                }
            }
        }
    }
}

/// The three measurements of `ledger-bench executor`, on one database and one sshd.
struct ExecutorBench: Sendable {
    let ssh: SSHServer
    let store: EventStore
    let leases: LeaseStore
    let logger: Logger
    let status: @Sendable (String) -> Void
    /// A keyring of its own, in a temporary directory the command removes.
    let keyring: Keyring
    var service: DeploymentService { DeploymentService(store: store, source: "bench") }
    let context = CommandContext(actor: "bench")

    func run(steps: Int, lines: Int, deployments: Int, workers: Int) async throws -> BenchReport {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.headListener.run() }
            defer { group.cancelAll() }
            try await service.createOrganisation(id: "bench", name: "Bench", context: context)
            try await service.createProject(id: "app", organisation: "bench", name: "App", context: context)
            let key = try await SSHConnection.hostKey(host: "127.0.0.1", port: ssh.port)
            let login = try await service.addKey("loopback", organisation: "bench", file: ssh.privateKeyPath, keyring: keyring, context: context)
            try await service.registerServer(ServerRegistered(
                serverID: "loopback", organisationID: "bench", host: "127.0.0.1", port: ssh.port, user: ssh.user, keyID: login.keyID,
                keyFingerprint: login.fingerprint, hostKeyType: key.type, hostKeyFingerprint: key.fingerprint,
                capacity: Resources(cpuMillicores: 1_000_000, memoryMB: 1_000_000, diskGB: 1_000_000)), context: context)
            var report = BenchReport(title: "ledger-bench executor — loopback sshd, \(ProcessInfo.processInfo.activeProcessorCount) cores")

            status("\(steps) no-op steps through the executor over SSH…")
            let pipeline = Self.pipeline((1...steps).map { ("step_\($0)", "true") })
            let ours = try await deployOnce("steps", pipeline: pipeline).wall
            status("the same \(steps) steps as \(steps) runs of ssh host true, then as one ssh…")
            let naive = try await timed("for i in $(seq \(steps)); do \(openSSH) true || exit 1; done")
            let floor = try await timed("\(openSSH) 'for i in $(seq \(steps)); do true; done'")
            report.add(
                "\(steps) no-op steps", ledger: Self.seconds(ours), baseline: "\(Self.seconds(naive)) ssh loop; \(Self.seconds(floor)) one ssh",
                ratio: ours / naive, target: nil)
            report.rows[report.rows.count - 1].baseline += String(format: " (target ≤ 0.5× the loop: %@)", ours / naive <= 0.5 ? "met" : "MISSED")

            status("a step printing \(lines) lines…")
            let chatty = try await deployOnce("chatty", pipeline: Self.pipeline([("printing", "seq \(lines)")]))
            let written = try await logLineCount(chatty.id)
            guard written == lines else { throw LedgerError(.invalidArgument, "the log holds \(written) of the \(lines) lines printed") }
            let rawSeconds = try await timed("\(openSSH) 'seq \(lines)' > /dev/null")
            let ourRate = Double(lines) / chatty.step, rawRate = Double(lines) / rawSeconds
            report.add(
                "log lines into the log", ledger: BenchReport.rate(ourRate, "lines/s"), baseline: BenchReport.rate(rawRate, "lines/s") + " ssh seq > /dev/null",
                ratio: ourRate / rawRate, target: 0.5)

            status("\(deployments) no-op deployments through \(workers) workers on the local runner…")
            let (rate, p50, p99) = try await manyDeployments(deployments, workers: workers)
            report.add(
                "no-op deployments", ledger: BenchReport.rate(rate, "deployments/s"),
                baseline: String(format: "claim latency p50 %.1f ms, p99 %.1f ms", p50 * 1_000, p99 * 1_000))
            report.notes = [
                "Steps: wall time from the request to success, the executor's events (start, step started/completed ×\(steps), success) included;",
                "  the baselines are OpenSSH's client (BatchMode, the same key and known host) against the same sshd.",
                "Log lines: from the step's start to its completion as recorded, all \(lines) lines written as events.",
                "Deployments: requested by 8 writers while \(workers) workers (10 at a time each) claim them; claim latency = started − requested.",
            ]
            return report
        }
    }

    /// `ssh` as a script would call it: batch mode, pinned known host, the same key.
    var openSSH: String {
        let knownHosts = (try? ssh.knownHostsFile()) ?? "/dev/null"
        return "ssh -q -p \(ssh.port) -i \(ShellCommand.quote(ssh.privateKeyPath)) -o BatchMode=yes -o StrictHostKeyChecking=yes "
            + "-o UserKnownHostsFile=\(ShellCommand.quote(knownHosts)) \(ssh.user)@127.0.0.1"
    }

    static func pipeline(_ steps: [(String, String)]) -> Pipeline {
        Pipeline(
            name: "deploy", description: "bench", variables: [:],
            steps: steps.map { PipelineStep(id: DeploymentStep(rawValue: $0.0)!, name: $0.0, description: "", command: $0.1, timeout: .seconds(600)) },
            file: "bench")
    }

    /// Deploys a fresh environment on the loopback server once through one worker; the wall
    /// time from request to success and the duration of its first step, as recorded.
    private func deployOnce(_ environment: String, pipeline: Pipeline) async throws -> (id: String, wall: Double, step: Double) {
        try await service.createEnvironment(
            id: environment, project: "app", name: environment,
            configuration: try ConfigurationChanges(cpuMillicores: 100, memoryMB: 64, diskGB: 1, server: "loopback").applied(to: nil), context: context)
        let started = ContinuousClock.now
        let id = try await service.deploy(environment: environment, git: GitReference(branch: "main"), context: context).deploymentID!
        var configuration = WorkerConfiguration(name: "bench-worker")
        configuration.concurrency = 1
        try await DeploymentWorker(
            service: service, leases: leases, configuration: configuration, pipelines: ["deploy": pipeline], logger: logger,
            openRunner: RunnerChoice.factory(service: service, keyring: keyring, localDirectory: nil)
        ).work(untilIdle: true)
        let wall = started.duration(to: .now).seconds
        let records = try await service.records(of: DomainIDs.deploymentStream(id))
        guard DeploymentState.fold(records)?.status == .success else { throw LedgerError(.invalidArgument, "the bench deployment did not succeed") }
        let stepStart = records.first { if case .stepStarted = $0.event { true } else { false } }?.recordedAtMicroseconds ?? 0
        let stepEnd = records.first { if case .stepCompleted = $0.event { true } else { false } }?.recordedAtMicroseconds ?? 0
        return (id, wall, Double(stepEnd - stepStart) / 1e6)
    }

    private func logLineCount(_ id: String) async throws -> Int {
        try await service.records(of: DomainIDs.deploymentStream(id)).reduce(0) { count, record in
            if case .logLinesAppended(let e) = record.event { count + e.lines.count } else { count }
        }
    }

    /// Seconds a shell command takes (it must succeed).
    private func timed(_ command: String) async throws -> Double {
        let started = ContinuousClock.now
        guard try await ShellCommand.run(command) == 0 else { throw LedgerError(.invalidArgument, "baseline failed: \(command)") }
        return started.duration(to: .now).seconds
    }

    /// Requests `count` no-op deployments while `workers` workers run them locally: the rate,
    /// and claim latency p50/p99 in seconds.
    private func manyDeployments(_ count: Int, workers: Int) async throws -> (Double, Double, Double) {
        for index in 0..<count {
            try await service.createEnvironment(
                id: "noop-\(index)", project: "app", name: "noop",
                configuration: EnvironmentConfiguration(host: "localhost", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: context)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipeline = Self.pipeline([("noop", "true")])
        let started = ContinuousClock.now
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for number in 0..<workers {
                var configuration = WorkerConfiguration(name: "bench-\(number)")
                configuration.pollInterval = .milliseconds(200)
                let worker = DeploymentWorker(
                    service: service, leases: leases, configuration: configuration, pipelines: ["deploy": pipeline], logger: logger,
                    openRunner: { _ in LocalRunner(workingDirectory: directory) })
                group.addTask { try await worker.work(untilIdle: false); return [] }
            }
            let requested = try await withThrowingTaskGroup(of: [String].self) { requests in
                for writer in 0..<8 {
                    requests.addTask {
                        var ids: [String] = []
                        for index in stride(from: writer, to: count, by: 8) {
                            ids.append(try await service.deploy(environment: "noop-\(index)", git: GitReference(branch: "main"), context: context).deploymentID!)
                        }
                        return ids
                    }
                }
                return try await requests.reduce(into: []) { $0 += $1 }
            }
            var remaining = Set(requested)
            while !remaining.isEmpty {
                for id in remaining where try await service.deployment(id)?.status.isTerminal == true { remaining.remove(id) }
                if !remaining.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
            }
            group.cancelAll()
            return requested
        }
        let elapsed = started.duration(to: .now).seconds
        var latencies = LatencySample()
        for id in ids {
            let records = try await service.records(of: DomainIDs.deploymentStream(id))
            guard let requested = records.first?.recordedAtMicroseconds,
                let claimed = records.first(where: { if case .deploymentStarted = $0.event { true } else { false } })?.recordedAtMicroseconds
            else { continue }
            latencies.add(.microseconds(claimed - requested))
        }
        return (Double(ids.count) / elapsed, latencies.percentile(0.5), latencies.percentile(0.99))
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
}
