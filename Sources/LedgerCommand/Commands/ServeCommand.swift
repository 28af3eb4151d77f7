import CommandRuntime
import ArgumentParser
import Executors
import Gateway
import Ledger
import LedgerDomain

/// `ledger serve`: only the HTTP API (run the projections elsewhere with `ledger project`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API only (Ctrl-C stops); `ledger project` keeps its read models current.")

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var live: LiveOptions

    @Option(help: "Where the HTTP API listens, HOST:PORT (plain HTTP: put TLS in front of it beyond loopback).")
    var listen = "127.0.0.1:8480"

    func validate() throws {
        guard try ListenAddress.parse(listen) != nil else { throw ValidationError("ledger serve needs an address, not 'off'") }
    }

    func run() async throws {
        // Before anything records a metric: what is made earlier would record nowhere.
        _ = GatewayMetrics.bootstrap()
        try await reportingErrors {
            guard let address = try ListenAddress.parse(listen) else { return }
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [live, connection] session in
                // Beside the API, the scheduler requests scheduled deployments as they fall due.
                let scheduler = DeploymentScheduler(service: DeploymentService(store: session.store, source: "scheduler"), logger: session.logger)
                try await session.runServices(
                    session.gatewayServer(address, options: try await session.gatewayOptions(live, connection: connection)).services + [scheduler])
            }
        }
    }
}

/// `--listen HOST:PORT|off`.
enum ListenAddress {
    /// The address as host and port, or nil for 'off'.
    static func parse(_ text: String) throws -> (host: String, port: Int)? {
        if text == "off" { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port),
            colon != text.startIndex
        else { throw ValidationError("--listen must be HOST:PORT or 'off' (got '\(text)')") }
        return (String(text[..<colon]), port)
    }
}
