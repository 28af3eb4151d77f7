import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO
import Synchronization

/// A fresh, migrated database per test on the PostgreSQL that `make test` starts
/// (`LEDGER_TEST_DATABASE_URL`), dropped again afterwards.
public enum TestDatabase {
    /// The server `make test` started; tests fail with a clear message without it.
    public static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["LEDGER_TEST_DATABASE_URL"] else {
            throw LedgerError(.invalidArgument, "LEDGER_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return try DatabaseURL(parsing: text)
    }

    public static let logger: Logger = {
        var logger = Logger(label: "ledger.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// The pool's own log: only errors (it warns when a test leases before `run()` has started).
    static let backgroundLogger: Logger = {
        var logger = Logger(label: "ledger.tests.pool")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `body` with a running client on a new database, migrated unless `migrate` is false.
    public static func withDatabase<T: Sendable>(
        migrate: Bool = true,
        configuration: EventStoreConfiguration = .init(),
        _ body: @Sendable (TestContext) async throws -> T
    ) async throws -> T {
        let server = try serverURL()
        let name = "ledger_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try await withClient(server) { admin in
            try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        let url = server.with(database: name)
        do {
            let result = try await withClient(url) { client in
                if migrate { try await SchemaMigrator(client: client, logger: logger).migrate() }
                let context = TestContext(
                    url: url, client: client,
                    store: EventStore(client: client, configuration: configuration, logger: logger))
                return try await body(context)
            }
            try await drop(name, on: server)
            return result
        } catch {
            try? await drop(name, on: server)
            throw error
        }
    }

    /// Runs `body` with a client whose pool runs for exactly as long as `body`.
    @discardableResult
    public static func withClient<T: Sendable>(
        _ url: DatabaseURL, maximumConnections: Int = 20, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections, applicationName: "ledger-tests"), backgroundLogger: backgroundLogger)
        return try await client.runningWhile(body)
    }

    private static func drop(_ name: String, on server: DatabaseURL) async throws {
        try await withClient(server) { admin in
            try await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
        }
    }
}

/// What a test gets: its database's URL, a running client and an event store on it.
public struct TestContext: Sendable {
    public let url: DatabaseURL
    public let client: PostgresClient
    public let store: EventStore

    /// Another store on the same database with its own connection pool, as a second process would have.
    public func withSecondStore<T: Sendable>(
        configuration: EventStoreConfiguration = .init(), _ body: @Sendable (EventStore) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withClient(url) { client in
            try await body(EventStore(client: client, configuration: configuration, logger: TestDatabase.logger))
        }
    }

    /// Terminates every other server process on this database, as a restart would: every pooled
    /// and held connection of the test is dropped under it.
    public func terminateOtherBackends() async throws {
        try await client.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            logger: TestDatabase.logger)
    }

    /// Runs SQL as the superuser with triggers disabled, as a tampering administrator could.
    public func tamper(_ sql: String) async throws {
        try await client.withConnection { connection in
            try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            } catch {
                try await connection.query("SET session_replication_role = origin", logger: TestDatabase.logger)
                throw error
            }
            try await connection.query("SET session_replication_role = origin", logger: TestDatabase.logger)
        }
    }
}

/// Builders for test events.
public enum Fixture {
    /// A command service on `db`'s store with organisation `acme` and its project `shop`, and
    /// the operator context (actor `ops`) that created them.
    public static func acmeShop(_ db: TestContext, repository: String? = nil) async throws -> (DeploymentService, CommandContext) {
        try await acmeShop(store: db.store, repository: repository)
    }

    /// The same world on any store (a test with a database of its own), the project deploying
    /// from `repository` when given.
    public static func acmeShop(store: EventStore, repository: String? = nil) async throws -> (DeploymentService, CommandContext) {
        let service = DeploymentService(store: store, source: "test")
        let ops = CommandContext(actor: "ops")
        try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
        try await service.createProject(id: "shop", organisation: "acme", name: "Shop", repository: repository, context: ops)
        return (service, ops)
    }

    public static func event(_ type: String = "Something", _ json: String = #"{"n":1}"#, id: UUID = UUID(), actor: String? = "tester") -> NewEvent {
        try! NewEvent(id: id, type: type, data: Data(json.utf8), metadata: EventMetadata(actor: actor, source: "test"))
    }

    public static func stream(_ name: String) -> StreamID {
        try! StreamID(name)
    }

    /// A store configuration whose transactions stay open for a random time before committing.
    public static func slowCommits(upToMilliseconds limit: Int) -> EventStoreConfiguration {
        var configuration = EventStoreConfiguration()
        configuration.holdTransactionsOpen = 0...limit
        return configuration
    }
}

/// A flag one task sets and others read.
public final class Flag: Sendable {
    private let state = Mutex(false)
    public init() {}
    public var isSet: Bool { state.withLock { $0 } }
    public func set() { state.withLock { $0 = true } }
}

/// Raised by ``withTimeout(_:_:)`` when the body took too long: a hung test fails instead of hanging CI.
public struct TimedOut: Error, CustomStringConvertible {
    public var description: String { "timed out" }
}

/// Runs `body`, failing with ``TimedOut`` if it has not finished after `limit`. A body that
/// never returns, not even when cancelled, is abandoned: the test fails instead of hanging.
public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let outcome = FirstAnswer(continuation)
        let timer = Task {
            try? await Task.sleep(for: limit)
            outcome.give(.failure(TimedOut()))
        }
        let work = Task {
            outcome.give(await Result(awaiting: body))
            timer.cancel()
        }
        Task {
            await timer.value
            work.cancel()
        }
    }
}
