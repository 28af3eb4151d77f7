import Foundation
import Ledger
import Logging
import PostgresNIO

/// Where a projection's tables live: `proj_<name>` for the live copy, `proj_<name>_next` for a
/// copy being rebuilt beside it. Each copy has its own checkpoint table, so rows and
/// checkpoint move (and swap) together.
///
/// Schema names are made only from a projection's own ``Projection/name`` (checked to be
/// lowercase letters and `_`), never from input; every value is a bound parameter.
public struct ProjectionSchema: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public static func live(_ projection: any Projection) -> ProjectionSchema { ProjectionSchema(name: "proj_" + projection.name) }
    public static func next(_ projection: any Projection) -> ProjectionSchema { ProjectionSchema(name: "proj_" + projection.name + "_next") }
    static func retired(_ projection: any Projection) -> ProjectionSchema { ProjectionSchema(name: "proj_" + projection.name + "_old") }

    init(name: String) {
        precondition(name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }, "projection schema names are lowercase letters and _")
        self.name = name
    }

    public var description: String { name }

    /// The checkpoint: the last position applied, how many events that took, and the recent rate.
    struct Checkpoint: Sendable {
        var position: Int64
        var events: Int64
    }

    func exists(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(name)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Creates the schema, its checkpoint at 0 and the projection's tables, in one transaction.
    /// With `deferringIndexes`, secondary indexes wait for ``createDeferredIndexes(for:on:logger:)``:
    /// a rebuild fills its copy faster without them and builds each index once at the end.
    func create(for projection: any Projection, deferringIndexes: Bool = false, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.inTransaction(logger: logger) { connection in
            try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: name) CASCADE", logger: logger)
            try await connection.query("CREATE SCHEMA \(unescaped: name)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE \(unescaped: name).checkpoint (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    position bigint NOT NULL, events bigint NOT NULL, rate double precision NOT NULL DEFAULT 0,
                    updated_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            try await connection.query("INSERT INTO \(unescaped: name).checkpoint (position, events) VALUES (0, 0)", logger: logger)
            for statement in projection.definitions(schema: name) where !(deferringIndexes && Self.isSecondaryIndex(statement)) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// The secondary indexes ``create(for:deferringIndexes:on:logger:)`` left out.
    func createDeferredIndexes(for projection: any Projection, on connection: PostgresConnection, logger: Logger) async throws {
        for statement in projection.definitions(schema: name) where Self.isSecondaryIndex(statement) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    /// A `CREATE INDEX` or `CREATE UNIQUE INDEX` statement: built after filling, from sorted
    /// rows, instead of row by row. Keys declared inside `CREATE TABLE` (primary keys, unique
    /// constraints) stay with their table: upserts need them while it fills.
    static func isSecondaryIndex(_ statement: String) -> Bool {
        let start = statement.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        return start.hasPrefix("CREATE INDEX") || start.hasPrefix("CREATE UNIQUE INDEX")
    }

    func drop(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: name) CASCADE", logger: logger)
    }

    func checkpoint(on connection: PostgresConnection, logger: Logger) async throws -> Checkpoint {
        let rows = try await connection.query("SELECT position, events FROM \(unescaped: name).checkpoint", logger: logger)
        for try await (position, events) in rows.decode((Int64, Int64).self) { return Checkpoint(position: position, events: events) }
        throw LedgerError(.database, "projection schema \(name) has no checkpoint")
    }

    func saveCheckpoint(_ checkpoint: Checkpoint, rate: Double, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE \(unescaped: name).checkpoint SET position = \(checkpoint.position), events = \(checkpoint.events),
                rate = \(rate), updated_at = now()
            """, logger: logger)
    }
}
