import ArgumentParser
import Executors
import Foundation
import Gateway
import Ledger
import LedgerArchive
import Logging
import PostgresNIO
import Projections
import ServiceLifecycle

/// `ledger run`: the service — migrates, keeps the projections up to date, seals new events
/// periodically and, with `--demo`, shows deployments progressing with the simulator.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the ledger: migrate, run the projections, seal new events periodically (Ctrl-C stops).",
        discussion: """
            With --demo it also creates a demo organisation, project and environment, requests a deployment \
            every --demo-interval seconds and plays them with the simulated executor, so you can watch \
            `ledger deployments list` and `ledger progress ID --follow` from another terminal.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("seal-every"), help: "Seconds between seals of newly appended events.")
    var sealInterval: Int = 60

    @Option(help: "Where the HTTP API listens, HOST:PORT (plain HTTP: put TLS in front of it beyond loopback), or 'off'.")
    var listen = "127.0.0.1:8480"

    @Flag(help: "Seed a demo environment and keep deploying to it with the simulator.")
    var demo = false

    @Option(name: .customLong("demo-interval"), help: "Seconds between demo deployment requests.")
    var demoInterval: Int = 20

    func validate() throws {
        guard sealInterval > 0, demoInterval > 0 else { throw ValidationError("--seal-every and --demo-interval must be positive") }
        _ = try listenAddress()
    }

    /// `--listen` as host and port, or nil for 'off'.
    func listenAddress() throws -> (host: String, port: Int)? { try ListenAddress.parse(listen) }

    func run() async throws {
        try await reportingErrors {
            let address = try listenAddress()
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [sealInterval, demo, demoInterval] session in
                printError("ledger is running on \(session.url) (Ctrl-C to stop)")
                // A pruning cut short before its event was appended gets the event now.
                try await ArchivePruner(store: session.store, client: session.client, logger: session.logger).recordMissingEvents()
                var services: [any Service] = [
                    ProjectionCatalog.groupRunner(session),
                    Sealer(store: session.store, interval: .seconds(sealInterval), logger: session.logger),
                ]
                if let address { services.append(session.gatewayServer(address)) }
                if demo, address != nil {
                    // The demo's visitor needs a token to call the API: a portal admin one for a day.
                    let (secret, _) = try await session.tokens.issue(
                        name: "demo", role: .portalAdmin, organisation: nil, project: nil, expiresIn: .seconds(86_400),
                        context: CommandContext(actor: "demo", source: "demo"))
                    printError("API token for this demo (portal admin, 1 day): \(secret.text)")
                    printError("  e.g. curl -H 'Authorization: Bearer \(secret.text)' http://\(address!.host):\(address!.port)/api/v1/deployments/ID/logs")
                }
                if demo {
                    services.append(RestartingService(description: "demo", logger: session.logger) {
                        try await DemoLoop(session: session, interval: .seconds(demoInterval)).run()
                    })
                    services.append(RestartingService(description: "simulator", logger: session.logger) {
                        var configuration = DeploymentSimulator.Configuration()
                        configuration.speed = 10
                        try await DeploymentSimulator(
                            service: DeploymentService(store: session.store, source: "simulator"), configuration: configuration,
                            logger: session.logger
                        ).run()
                    })
                }
                try await session.runServices(services)
            }
        }
    }
}

extension LedgerSession {
    /// API tokens, issued and checked through the same service as every command.
    var tokens: TokenStore {
        TokenStore(service: DeploymentService(store: store, source: "api"), client: client, logger: logger)
    }

    /// The HTTP API on `address`, announcing where it listens.
    func gatewayServer(_ address: (host: String, port: Int)) -> GatewayServer {
        GatewayServer(
            reader: ProjectionReader(client: client, logger: logger), store: store, tokens: tokens, host: address.host, port: address.port,
            logger: logger,
            onListening: { port in printError("HTTP API on http://\(address.host):\(port)/api/v1") })
    }
}

/// The demo: an organisation, project and environment, and a new deployment request whenever
/// the environment is free, at most every `interval`.
struct DemoLoop: Sendable {
    let session: LedgerSession
    let interval: Duration

    func run() async throws {
        let service = DeploymentService(store: session.store, source: "demo")
        let demo = CommandContext(actor: "demo", source: "demo")
        if try await service.organisation("demo") == nil {
            try await service.createOrganisation(
                id: "demo", name: "Demo Inc", quota: Resources(cpuMillicores: 8_000, memoryMB: 16_384, diskGB: 200), context: demo)
            try await service.createProject(id: "shop", organisation: "demo", name: "Shop", repository: "git@example.com:demo/shop.git", context: demo)
            try await service.createEnvironment(
                id: "shop-staging", project: "shop", name: "staging",
                configuration: EnvironmentConfiguration(host: "10.0.0.5", resources: Resources(cpuMillicores: 2_000, memoryMB: 4_096, diskGB: 40)),
                context: demo)
        }
        printError("demo: deploying to environment shop-staging every \(interval); try `ledger deployments list` and `ledger progress ID --follow`")
        var number = 0
        while !Task.isCancelled {
            number += 1
            let commit = String(format: "%07x", (number &* 2_654_435_761) & 0xFFFFFFF)
            do {
                let outcome = try await service.deploy(
                    environment: "shop-staging", git: GitReference(branch: "main", commit: commit, message: "Demo change \(number)"),
                    trigger: .gitPush, context: demo)
                printError("demo: requested deployment \(outcome.deploymentID ?? "?") of main@\(commit)")
            } catch let rejection as CommandRejection {
                session.logger.debug("demo deployment skipped", metadata: ["reason": "\(rejection.message)"])
            }
            try await Task.sleep(for: interval)
        }
    }
}
