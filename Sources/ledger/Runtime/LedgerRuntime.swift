import Foundation
import Ledger
import Logging
import PostgresNIO
import UnixSignals

/// What a command runs with: the event store on a migrated database, its client and its URL.
struct LedgerSession: Sendable {
    let store: EventStore
    let client: PostgresClient
    let url: DatabaseURL
    let logger: Logger
}

/// Opens the ledger for one command: resolves the database (DATABASE_URL or the embedded
/// cluster), runs the connection pool, migrates, runs the command, and on the way out — also
/// after SIGINT or SIGTERM — closes everything and stops the embedded cluster if it started it.
enum LedgerRuntime {
    static func run<T: Sendable>(
        _ options: ConnectionOptions, configuration: EventStoreConfiguration = .init(),
        _ body: @escaping @Sendable (LedgerSession) async throws -> T
    ) async throws -> T? {
        let logger = options.makeLogger()
        let status: @Sendable (String) -> Void = { message in
            if !options.quiet { FileHandle.standardError.write(Data("ledger: \(message)\n".utf8)) }
        }
        var embedded: EmbeddedPostgres?
        var startedEmbedded = false
        let url: DatabaseURL
        if let text = options.resolvedDatabaseURLText {
            url = try DatabaseURL(parsing: text)
        } else {
            let cluster = EmbeddedPostgres(dataDirectory: options.resolvedDataDirectory)
            startedEmbedded = try await cluster.start(log: status)
            embedded = cluster
            url = cluster.url
            try await ensureDatabaseExists(url, logger: logger)
        }
        do {
            let result = try await withSignalsCancelling {
                try await withClient(url, logger: logger) { client in
                    try await SchemaMigrator(client: client, logger: logger).migrate()
                    let store = EventStore(client: client, configuration: configuration, logger: logger)
                    return try await body(LedgerSession(store: store, client: client, url: url, logger: logger))
                }
            }
            if startedEmbedded, let embedded {
                status("Stopping the embedded PostgreSQL")
                try await embedded.stop()
            }
            return result
        } catch {
            if startedEmbedded, let embedded { try? await embedded.stop() }
            throw error
        }
    }

    /// Runs `body` with a pool that runs exactly as long as it does.
    static func withClient<T: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        // The pool warns when a lease races its own start-up; only its errors are worth showing,
        // unless someone is debugging.
        var poolLogger = logger
        if poolLogger.logLevel > .debug { poolLogger.logLevel = .error }
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: poolLogger)
        return try await client.runningWhile(body)
    }

    /// Runs `body`; SIGINT or SIGTERM cancels it, and then nil is returned.
    private static func withSignalsCancelling<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await _ in signals { return nil }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return nil }
            return first
        }
    }

    /// The embedded cluster starts with only the `postgres` database; the ledger's is made once.
    private static func ensureDatabaseExists(_ url: DatabaseURL, logger: Logger) async throws {
        try await withClient(url.with(database: "postgres"), logger: logger) { admin in
            let rows = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(url.database)", logger: logger)
            for try await _ in rows { return }
            try await admin.query("CREATE DATABASE \(unescaped: url.database)", logger: logger)
        }
    }
}
