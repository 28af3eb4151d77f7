import Foundation
import Ledger
import Logging
import PostgresNIO

/// What a command runs with: the event store on a migrated database, its client and its URL,
/// and the process's stop switch (long-running commands register their graceful stop on it).
package struct LedgerSession: Sendable {
    package let store: EventStore
    package let client: PostgresClient
    package let url: DatabaseURL
    package let logger: Logger
    package let stopper: ProcessStopper
}

/// How long a command may take as a whole.
package enum CommandDeadline: Sendable {
    /// A command that answers and ends: bounded by `--timeout` (default 30 s).
    case command
    /// A service or a long job (`run`, `tail`, `verify`, `bench`, …): no bound on the whole,
    /// though every database request inside still fails rather than waits for ever.
    case longRunning
}

/// Opens the ledger for one command: resolves the database (DATABASE_URL or the embedded
/// cluster), runs the connection pool, migrates, runs the command, and on the way out closes
/// everything and stops the embedded cluster if it started it.
///
/// Nothing waits for ever: a command ends with `timed_out` after its deadline, and SIGINT or
/// SIGTERM start a graceful stop which a second signal, or the grace period, turns into an
/// immediate exit (130 for SIGINT, 143 for SIGTERM) — the embedded cluster is stopped either way.
package enum LedgerRuntime {
    package static func run<T: Sendable>(
        _ options: ConnectionOptions, configuration: EventStoreConfiguration = .init(), deadline: CommandDeadline = .command,
        _ body: @escaping @Sendable (LedgerSession) async throws -> T
    ) async throws -> T? {
        let logger = options.makeLogger()
        let status: @Sendable (String) -> Void = { message in
            if !options.quiet { StandardError.write("ledger: \(message)\n") }
        }
        let stopper = ProcessStopper(gracePeriod: options.resolvedGracePeriod, log: status)
        let embedded: EmbeddedPostgres?
        let url: DatabaseURL
        if let text = options.resolvedDatabaseURLText {
            url = try DatabaseURL(parsing: text)
            embedded = nil
        } else {
            let cluster = EmbeddedPostgres(dataDirectory: options.resolvedDataDirectory)
            url = cluster.url
            embedded = try await cluster.start(log: status) ? cluster : nil
            if let embedded {
                // Stopped on every way out, a forced exit included.
                stopper.atExit {
                    status("Stopping the embedded PostgreSQL")
                    try? await embedded.stop()
                }
            }
        }
        let timeout = options.resolvedTimeout
        let work: @Sendable () async throws -> T = {
            if options.resolvedDatabaseURLText == nil { try await ensureDatabaseExists(url, logger: logger) }
            return try await withClient(url, lease: options.resolvedConnectTimeout, logger: logger) { client in
                try await SchemaMigrator(client: client, logger: logger).migrate()
                let store = EventStore(client: client, configuration: configuration, logger: logger)
                return try await body(LedgerSession(store: store, client: client, url: url, logger: logger, stopper: stopper))
            }
        }
        let result = await stopper.run {
            switch deadline {
            case .longRunning: return try await work()
            case .command:
                return try await withDeadline(timeout, {
                    LedgerError(
                        .timedOut,
                        "gave up after \(Int(timeout.seconds)) s (is PostgreSQL reachable? --timeout or LEDGER_TIMEOUT sets the limit)")
                }, work)
            }
        }
        await stopper.finish()
        if let signal = stopper.receivedSignal { throw signal.exitCode }
        return try result.get()
    }

    /// Runs `body` with a pool that runs exactly as long as it does.
    package static func withClient<T: Sendable>(
        _ url: DatabaseURL, lease: Duration = DatabaseTimeouts.defaultLease, logger: Logger, _ body: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        // The pool warns when a lease races its own start-up; only its errors are worth showing,
        // unless someone is debugging.
        var poolLogger = logger
        if poolLogger.logLevel > .debug { poolLogger.logLevel = .error }
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: poolLogger)
        DatabaseTimeouts.setLease(lease, for: client)
        return try await client.runningWhile(body)
    }

    /// The embedded cluster starts with only the `postgres` database; the ledger's is made once.
    private static func ensureDatabaseExists(_ url: DatabaseURL, logger: Logger) async throws {
        try await withClient(url.with(database: "postgres"), logger: logger) { admin in
            if try await admin.liveQuery("SELECT 1 FROM pg_database WHERE datname = \(url.database)", logger: logger).isEmpty {
                _ = try await admin.liveQuery("CREATE DATABASE \(unescaped: url.database)", logger: logger)
            }
        }
    }
}
