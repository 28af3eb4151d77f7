import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Ledger

/// `ledger migrate`: applies the schema's missing migrations; running it again changes nothing.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply the database migrations that are missing (idempotent).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reportingErrors {
            // The runtime migrates before every command; this one reports what that did.
            _ = try await LedgerRuntime.run(connection) { session in
                let rows = try await session.client.query(
                    "SELECT version, file_name FROM ledger.schema_migrations ORDER BY version", logger: session.logger)
                for try await (version, name) in rows.decode((Int, String).self) {
                    printLine("applied \(version) \(name)")
                }
            }
        }
    }
}
