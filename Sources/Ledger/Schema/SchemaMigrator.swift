import Crypto
import LedgerSchema
import Logging
import PostgresNIO

/// Applies the numbered migrations of `schema/` that a database has not seen yet.
///
/// Runs under a session advisory lock so concurrent starters apply each migration once; each
/// migration runs in its own transaction together with the row that records it. Idempotent:
/// a second run finds everything applied and changes nothing. A landed migration whose text
/// changed since it was applied is reported, never re-run.
public struct SchemaMigrator: Sendable {
    /// A migration that was applied by this run.
    public struct Applied: Sendable, Hashable {
        public var version: Int
        public var fileName: String
    }

    let client: PostgresClient
    let logger: Logger
    let migrations: [Migration]

    public init(client: PostgresClient, logger: Logger, migrations: [Migration] = Migrations.all) {
        self.client = client
        self.logger = logger
        self.migrations = migrations
    }

    /// Applies what is missing and returns it (empty when the database was up to date).
    @discardableResult
    public func migrate() async throws -> [Applied] {
        do {
            return try await client.withLiveConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(7342001)", logger: logger)
                do {
                    let applied = try await applyMissing(on: connection)
                    try await connection.query("SELECT pg_advisory_unlock(7342001)", logger: logger)
                    return applied
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(7342001)", logger: logger)
                    throw error
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.migration, "could not migrate the database: \(PostgresErrorText.safe(error))", underlying: error)
        }
    }

    private func applyMissing(on connection: PostgresConnection) async throws -> [Applied] {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS ledger", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS ledger.schema_migrations (
                version integer PRIMARY KEY,
                file_name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """, logger: logger)
        var known: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM ledger.schema_migrations", logger: logger
        ).decode((Int, String).self) {
            known[version] = checksum
        }

        var applied: [Applied] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let checksum = EventHash(unchecked: Array(SHA256.hash(data: Array(migration.sql.utf8)))).hex
            if let recorded = known[migration.version] {
                if recorded != checksum {
                    logger.warning("migration changed after it was applied; not re-running it", metadata: ["ledger.migration": "\(migration.fileName)"])
                }
                continue
            }
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO ledger.schema_migrations (version, file_name, checksum)
                    VALUES (\(migration.version), \(migration.fileName), \(checksum))
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw LedgerError(.migration, "migration \(migration.fileName) failed: \(PostgresErrorText.safe(error))", underlying: error)
            }
            logger.info("applied migration", metadata: ["ledger.migration": "\(migration.fileName)"])
            applied.append(Applied(version: migration.version, fileName: migration.fileName))
        }
        return applied
    }
}
