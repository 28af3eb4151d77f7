import CommandRuntime
import ArgumentParser
import Executors
import Foundation
import Ledger
import LedgerDomain

/// `ledger simulate`: plays requested deployments with the simulated executor.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Play requested deployments through their pipeline with a simulated executor (a demo and load generator; it runs nothing on any server).")
    @OptionGroup var connection: ConnectionOptions
    @Option(name: .customLong("failure-rate"), help: "Chance (0–1) that a deployment fails in some step.") var failureRate = 0.15
    @Option(help: "Speed-up of step durations (10: a 60 s deployment plays in 6 s; 0: no waiting).") var speed = 10.0
    @Option(help: "Deployments played at once.") var concurrency = 4
    @Option(help: "Random seed, for a repeatable run.") var seed: UInt64?
    @Flag(help: "Stop once nothing is pending instead of waiting for more.") var once = false

    func validate() throws {
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be between 0 and 1") }
        guard speed >= 0, concurrency >= 1 else { throw ValidationError("--speed must be ≥ 0 and --concurrency ≥ 1") }
    }

    var simulatorConfiguration: DeploymentSimulator.Configuration {
        var configuration = DeploymentSimulator.Configuration()
        configuration.failureRate = failureRate
        configuration.speed = speed
        configuration.concurrency = concurrency
        configuration.seed = seed
        return configuration
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [simulatorConfiguration, once] session in
                printError("simulating deployments (not a real executor; Ctrl-C to stop)")
                let simulator = DeploymentSimulator(
                    service: DeploymentService(store: session.store, source: "simulator"), configuration: simulatorConfiguration, logger: session.logger)
                if once { return try await simulator.run(untilIdle: true) }
                try await session.runServices([
                    RestartingService(description: "simulator", logger: session.logger) { try await simulator.run() }
                ])
            }
        }
    }
}
