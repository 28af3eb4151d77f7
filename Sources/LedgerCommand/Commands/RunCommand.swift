import CommandRuntime
import ArgumentParser
import Executors
import Foundation
import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerArchive
import Logging
import PostgresNIO
import Projections
import ServiceLifecycle

/// `ledger run`: the service — migrates, keeps the projections up to date, seals new events
/// periodically, serves the HTTP API, runs the executor (with `--work`) and, with `--demo`,
/// really deploys a sample application on this machine.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the ledger: migrate, run the projections, seal new events periodically (Ctrl-C stops).",
        discussion: """
            With --demo it also creates a sample web application (a local git repository under the data \
            directory), an organisation, project and environment for it, and pushes a new release every \
            --demo-interval seconds; the executor deploys each one for real on this machine with pipelines/deploy.yml \
            (clone, switch, restart, health check) — every fourth release is broken on purpose and rolled back by \
            itself. Watch `ledger deployments list`, `ledger progress ID --follow` and the page at the app's port.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("seal-every"), help: "Seconds between seals of newly appended events.")
    var sealInterval: Int = 60

    @Option(help: "Where the HTTP API listens, HOST:PORT (plain HTTP: put TLS in front of it beyond loopback), or 'off'.")
    var listen = "127.0.0.1:8480"

    @Flag(help: "Deploy a sample application on this machine every --demo-interval seconds (implies --work --local).")
    var demo = false

    @Flag(help: "Run the executor too: claim requested deployments and run their pipelines (see `ledger work`).")
    var work = false

    @OptionGroup var worker: WorkerOptions

    @OptionGroup var live: LiveOptions

    @Option(name: .customLong("demo-app-port"), help: "The port the demo application listens on.")
    var demoAppPort = 8490

    @Option(name: .customLong("demo-interval"), help: "Seconds between demo deployment requests.")
    var demoInterval: Int = 20

    func validate() throws {
        guard sealInterval > 0, demoInterval > 0 else { throw ValidationError("--seal-every and --demo-interval must be positive") }
        guard (1...65_535).contains(demoAppPort) else { throw ValidationError("--demo-app-port must be 1–65535") }
        _ = try listenAddress()
    }

    /// `--listen` as host and port, or nil for 'off'.
    func listenAddress() throws -> (host: String, port: Int)? { try ListenAddress.parse(listen) }

    func run() async throws {
        // Before anything records a metric: what is made earlier would record nowhere.
        _ = GatewayMetrics.bootstrap()
        try await reportingErrors {
            let address = try listenAddress()
            let pipelines = demo || work ? try worker.loadPipelines() : [:]
            var workerConfiguration = try worker.configuration()
            if demo { workerConfiguration.stopGrace = .seconds(3) }
            let demoApplication = DemoApplication(
                directory: URL(fileURLWithPath: connection.resolvedDataDirectory).appendingPathComponent("demo").standardizedFileURL.path)
            let localDirectory = demo ? demoApplication.deployPath : worker.local
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [sealInterval, demo, demoInterval, work, demoAppPort, workerConfiguration, worker, live, connection] session in
                printError("ledger is running on \(session.url) (Ctrl-C to stop)")
                // A pruning cut short before its event was appended gets the event now.
                try await ArchivePruner(store: session.store, client: session.client, logger: session.logger).recordMissingEvents()
                var services: [any Service] = [
                    ProjectionCatalog.groupRunner(session),
                    Sealer(store: session.store, interval: .seconds(sealInterval), logger: session.logger),
                    DeploymentScheduler(service: DeploymentService(store: session.store, source: "scheduler"), logger: session.logger),
                ]
                if let address { services += session.gatewayServer(address, options: try await session.gatewayOptions(live, connection: connection)).services }
                if demo, address != nil {
                    // The demo's visitor needs a token to call the API: a portal admin one for a day.
                    let (secret, _) = try await session.tokens.issue(
                        name: "demo", role: .portalAdmin, organisation: nil, project: nil, expiresIn: .seconds(86_400),
                        context: CommandContext(actor: "demo", source: "demo"))
                    printError("API token for this demo (portal admin, 1 day): \(secret.text)")
                    printError("  e.g. curl -H 'Authorization: Bearer \(secret.text)' http://\(address!.host):\(address!.port)/api/v1/deployments/ID/logs")
                }
                if demo || work {
                    let service = DeploymentService(store: session.store, source: "executor")
                    services.append(DeploymentWorker(
                        service: service, leases: LeaseStore(client: session.client, logger: session.logger), configuration: workerConfiguration,
                        pipelines: pipelines, logger: session.logger,
                        openRunner: RunnerChoice.factory(service: service, keyring: connection.resolvedKeyring, localDirectory: localDirectory)))
                    services.append(worker.watchdog(service, logger: session.logger))
                }
                if demo {
                    try await demoApplication.prepare()
                    try FileManager.default.createDirectory(atPath: demoApplication.deployPath, withIntermediateDirectories: true)
                    services.append(RestartingService(description: "demo", logger: session.logger) {
                        try await DemoLoop(session: session, application: demoApplication, appPort: demoAppPort, interval: .seconds(demoInterval)).run()
                    })
                }
                do {
                    try await session.runServices(services)
                } catch {
                    if demo { await demoApplication.stopApplication() }
                    throw error
                }
                if demo { await demoApplication.stopApplication() }
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
    func gatewayServer(_ address: (host: String, port: Int), options: GatewayOptions) -> GatewayServer {
        GatewayServer(
            reader: ProjectionReader(client: client, logger: logger), store: store, tokens: tokens, host: address.host, port: address.port,
            options: options, logger: logger,
            onListening: { port in printError("HTTP API on http://\(address.host):\(port)/api/v1") })
    }
}

/// The demo: an organisation, project and environment for the sample application, and a new
/// release of it pushed and deployed whenever the environment is free, at most every `interval`.
struct DemoLoop: Sendable {
    let session: LedgerSession
    let application: DemoApplication
    let appPort: Int
    let interval: Duration

    func run() async throws {
        let service = DeploymentService(store: session.store, source: "demo")
        let demo = CommandContext(actor: "demo", source: "demo")
        // Demo deployments take seconds: a deploy lock left by a demo killed outright (one
        // stopped with Ctrl-C releases it) expires in two minutes rather than the pipeline's hour.
        let settings = [
            "app_port": "\(appPort)", "health_url": "http://127.0.0.1:\(appPort)/", "health_attempts": "5", "keep_releases": "3",
            "lock_minutes": "2",
        ]
        if try await service.organisation("demo") == nil {
            try await service.createOrganisation(
                id: "demo", name: "Demo Inc", quota: Resources(cpuMillicores: 8_000, memoryMB: 16_384, diskGB: 200), context: demo)
            try await service.createProject(id: "shop", organisation: "demo", name: "Shop", repository: application.repository, context: demo)
            try await service.createEnvironment(
                id: "shop-staging", project: "shop", name: "staging",
                configuration: EnvironmentConfiguration(
                    host: "localhost", resources: Resources(cpuMillicores: 2_000, memoryMB: 4_096, diskGB: 40), settings: settings),
                context: demo)
        } else {
            try await service.configureEnvironment("shop-staging", changes: ConfigurationChanges(settings: settings), context: demo)
        }
        printError("demo: releasing the sample app to shop-staging every \(interval), served at http://127.0.0.1:\(appPort)/ "
            + "(every 4th release is broken and rolled back); try `ledger deployments list` and `ledger progress ID --follow`")
        var number = try await service.environment("shop-staging")?.deploymentCount ?? 0
        while !Task.isCancelled {
            if try await service.environment("shop-staging")?.inFlight == nil {
                number += 1
                let release = try await application.commit(number: number)
                do {
                    let outcome = try await service.deploy(
                        environment: "shop-staging", git: GitReference(branch: "main", commit: release.hash, message: release.message, author: "demo"),
                        trigger: .gitPush, context: demo)
                    printError("demo: pushed \(release.message), deployment \(outcome.deploymentID ?? "?") of main@\(release.hash.prefix(7))")
                } catch let rejection as CommandRejection {
                    session.logger.debug("demo deployment skipped", metadata: ["reason": "\(rejection.message)"])
                }
            }
            try await Task.sleep(for: interval)
        }
    }
}
