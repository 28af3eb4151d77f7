import LedgerSchema
import PostgresNIO

extension SchemaMigrator {
    /// The migrations this build knows that the database has not applied (empty when it is up
    /// to date): what a readiness check asks. Reads only; never applies anything.
    public func pending() async throws -> [Int] {
        let exists = try await client.liveQuery("SELECT to_regclass('ledger.schema_migrations') IS NOT NULL", logger: logger)
        guard try exists.first?.decode(Bool.self) == true else { return migrations.map(\.version) }
        let rows = try await client.liveQuery("SELECT version FROM ledger.schema_migrations", logger: logger)
        let applied = Set(try rows.map { try $0.decode(Int.self) })
        return migrations.map(\.version).filter { !applied.contains($0) }
    }
}
