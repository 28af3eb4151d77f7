import CommandRuntime
import ArgumentParser
import Executors
import Foundation
import Ledger
import LedgerDomain
import Logging

/// `ledger work`: the executor. Claims requested deployments under leases and runs their
/// pipelines on the environments' servers over SSH (or locally with --local).
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run requested deployments for real: claim them under leases and run their pipeline files over SSH.",
        discussion: """
            Pipelines are the YAML files of --pipelines (deploy.yml, rollback.yml, …); a malformed one is refused at start \
            with its file, line and reason. A worker that dies leaves its lease to expire; another worker then takes the \
            deployment over and fails it, naming the step it was in, so that no step runs twice (retry to run it again).
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var worker: WorkerOptions
    @Flag(help: "Stop once nothing is left to claim or running, instead of waiting for more.") var once = false

    func run() async throws {
        try await reportingErrors {
            let pipelines = try worker.loadPipelines()
            let configuration = try worker.configuration()
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [once, worker] session in
                let service = DeploymentService(store: session.store, source: "executor")
                let executor = DeploymentWorker(
                    service: service, leases: LeaseStore(client: session.client, logger: session.logger), configuration: configuration,
                    pipelines: pipelines, logger: session.logger,
                    openRunner: RunnerChoice.factory(service: service, keyring: connection.resolvedKeyring, localDirectory: worker.local))
                printError("\(configuration.name) working: pipelines \(pipelines.keys.sorted().joined(separator: ", ")); up to \(configuration.concurrency) at a time")
                if once { return try await executor.work(untilIdle: true) }
                try await session.runServices([executor, worker.watchdog(service, logger: session.logger)])
            }
        }
    }
}

/// The flags of a worker, shared by `ledger work` and `ledger run`.
struct WorkerOptions: ParsableArguments {
    @Option(help: "The directory of pipeline files.") var pipelines = "pipelines"
    @Option(help: "Deployments run at once.") var concurrency = 10
    @Option(name: .customLong("lease"), help: "Seconds a claim holds without renewal.") var leaseSeconds = 30
    @Option(name: .customLong("renew"), help: "Seconds between lease renewals.") var renewSeconds = 10
    @Option(name: .customLong("stop-grace"), help: "Seconds a stopped step has between TERM and KILL.") var stopGraceSeconds = 10
    @Option(name: .customLong("worker-name"), help: "The worker's name in events (default: worker-HOST-RANDOM).") var name: String?
    @Option(help: "Run steps of environments without a server as local processes in this directory (development).") var local: String?
    @Option(name: .customLong("retry-delays"), help: "Seconds to wait before each new try after a transient error (connection refused, timeout), comma-separated; the deployment is abandoned after the last.")
    var retryDelays = "5,15,45"
    @Option(name: .customLong("stuck-after"), help: "Minutes a deployment may record nothing before the watchdog times it out.")
    var stuckMinutes = 30

    /// The watchdog that times out deployments silent for --stuck-after minutes.
    func watchdog(_ service: DeploymentService, logger: Logger) -> Watchdog {
        Watchdog(service: service, silence: .seconds(stuckMinutes * 60), interval: .seconds(min(60, max(5, stuckMinutes * 6))), logger: logger)
    }

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard renewSeconds >= 1, leaseSeconds > renewSeconds else { throw ValidationError("--lease must be longer than --renew (both in seconds)") }
        guard stopGraceSeconds >= 0 else { throw ValidationError("--stop-grace must not be negative") }
        guard stuckMinutes >= 1 else { throw ValidationError("--stuck-after must be at least 1 minute") }
        guard parsedRetryDelays != nil else { throw ValidationError("--retry-delays takes whole seconds separated by commas, e.g. 5,15,45 (got '\(retryDelays)')") }
    }

    func configuration() throws -> WorkerConfiguration {
        var configuration = WorkerConfiguration(name: name ?? WorkerConfiguration.defaultName())
        configuration.concurrency = concurrency
        configuration.leaseDuration = .seconds(leaseSeconds)
        configuration.renewInterval = .seconds(renewSeconds)
        configuration.stopGrace = .seconds(stopGraceSeconds)
        configuration.transientRetries = (parsedRetryDelays ?? []).map { .seconds($0) }
        return configuration
    }

    var parsedRetryDelays: [Int]? {
        if retryDelays.isEmpty { return [] }
        let values = retryDelays.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? -1) >= 0 && ($0 ?? 0) <= 3_600 }), values.count <= 10 else { return nil }
        return values.compactMap { $0 }
    }

    func loadPipelines() throws -> [String: Pipeline] {
        do {
            let loaded = try PipelineLoader.loadAll(directory: pipelines)
            guard loaded["deploy"] != nil else {
                throw LedgerError(.invalidArgument, "\(pipelines) has no deploy.yml: a worker needs at least the deploy pipeline")
            }
            return loaded
        } catch let error as PipelineError {
            throw LedgerError(.invalidArgument, "pipeline refused: \(error.description)")
        }
    }
}
