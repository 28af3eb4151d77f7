import CommandRuntime
import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// A fresh, migrated database for one benchmark run on the ledger's server, with plain copies
/// of the event table (same columns and indexes, no triggers) for the raw baselines: one for
/// pgbench's single-row INSERTs, one each for the bulk COPY and multi-row INSERT. It is
/// dropped again at the end.
struct BenchDatabase: Sendable {
    let url: DatabaseURL
    let logger: Logger

    /// The payload every benchmark event carries: a typical log line (~120 bytes).
    static let payload = Data(#"{"level":"info","message":"Step build: compiling module 17 of 42 (Sources/App/Routes.swift)","step":"build"}"#.utf8)
    static let metadata = Data(#"{"actor":"bench","organisation":"org-bench","source":"bench"}"#.utf8)

    /// With `keep`, the database stays after a successful run (for profiling or inspection) and
    /// its URL goes to standard error.
    static func with<T: Sendable>(
        server: DatabaseURL, logger: Logger, keep: Bool = false, _ body: @escaping @Sendable (BenchDatabase, PostgresClient) async throws -> T
    ) async throws -> T {
        let name = "ledger_bench_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await LedgerRuntime.withClient(server.with(database: "postgres"), logger: logger) { admin in
            try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        let database = BenchDatabase(url: server.with(database: name), logger: logger)
        do {
            let result = try await LedgerRuntime.withClient(database.url, logger: logger) { client in
                try await SchemaMigrator(client: client, logger: logger).migrate()
                try await client.query("CREATE SCHEMA bench", logger: logger)
                for table in ["raw_events", "bulk_copy", "bulk_multi"] {
                    try await client.query("CREATE TABLE bench.\(unescaped: table) (LIKE ledger.events INCLUDING ALL)", logger: logger)
                }
                try await client.query("CREATE SEQUENCE bench.positions", logger: logger)
                return try await body(database, client)
            }
            if keep {
                printError("bench: kept the database: \(database.url)")
            } else {
                try await database.drop(server: server)
            }
            return result
        } catch {
            try? await database.drop(server: server)
            throw error
        }
    }

    private func drop(server: DatabaseURL) async throws {
        _ = try await LedgerRuntime.withClient(server.with(database: "postgres"), logger: logger) { admin in
            try await admin.query("DROP DATABASE IF EXISTS \(unescaped: url.database) WITH (FORCE)", logger: logger)
        }
    }

    /// Fills the single-row baseline table with a copy of the log as it is now, so that pgbench
    /// inserts into a table as large (with indexes as deep) as the one the ledger appends to;
    /// its rows then continue the copied positions.
    func mirrorLog(_ client: PostgresClient) async throws {
        try await client.query("INSERT INTO bench.raw_events SELECT * FROM ledger.events", logger: logger)
        try await client.query("SELECT setval('bench.positions', (SELECT max(position) FROM bench.raw_events))", logger: logger)
    }

    /// Connection arguments for PostgreSQL's command-line tools.
    var toolArguments: String {
        let host = url.socketDirectory ?? url.host
        return "-h \(ShellCommand.quote(host)) -p \(url.port) -U \(ShellCommand.quote(url.username)) \(ShellCommand.quote(url.database))"
    }

    var toolEnvironment: String {
        url.password.map { "PGPASSWORD=\(ShellCommand.quote($0)) " } ?? ""
    }

    /// Flushes what earlier steps of the run left dirty, so that each measurement starts from a
    /// quiet server instead of paying for the previous one's writes. Needs the right to run
    /// `CHECKPOINT` (a superuser or `pg_checkpoint`); without it the run goes on as it is.
    func settle(_ client: PostgresClient) async {
        do {
            try await client.query("CHECKPOINT", logger: logger)
        } catch {
            logger.debug("no CHECKPOINT between measurements", metadata: ["error": "\(PostgresErrorText.safe(error))"])
        }
    }

    /// Seconds PostgreSQL's own `COPY (SELECT …) TO` (through psql, to /dev/null) takes to scan
    /// every event row in position order: the raw-scan baseline of the read-side benchmarks.
    func copyOutSeconds() async throws -> Double {
        let sql = "COPY (SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash FROM ledger.events ORDER BY position) TO STDOUT"
        let clock = ContinuousClock()
        let start = clock.now
        let status = try await ShellCommand.run(
            "\(toolEnvironment)\(ShellCommand.quote(try Self.tool("psql"))) -X -q \(toolArguments) -c \(ShellCommand.quote(sql)) > /dev/null")
        guard status == 0 else { throw LedgerError(.database, "psql COPY failed with status \(status)") }
        return (clock.now - start).seconds
    }

    /// A PostgreSQL client tool (pgbench, psql), from the server's directory or PATH.
    static func tool(_ name: String) throws -> String {
        if let directory = try? EmbeddedPostgres.serverBinaries(), FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw LedgerError(.missingDependency, "\(name) was not found; install PostgreSQL's client programs (apt-get install -y postgresql)")
    }

    /// One row of `bench.raw_events` as SQL values, the same shape and bytes as a ledger event.
    static func rawValuesSQL(stream: String) -> String {
        let zero = String(repeating: "00", count: 32)
        return "(nextval('bench.positions'), gen_random_uuid(), \(stream), currval('bench.positions'), 'raw', 'LogLine', 1, "
            + "'\\x\(hex(payload))'::bytea, '\\x\(hex(metadata))'::bytea, 'bench', 'org-bench', NULL, now(), "
            + "'\\x\(zero)'::bytea, '\\x\(zero)'::bytea)"
    }

    static func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    /// Runs pgbench with `script` and returns its transactions per second.
    func pgbench(script: String, clients: Int, seconds: Int? = nil, transactions: Int? = nil) async throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptFile = directory.appendingPathComponent("script.sql").path
        let outputFile = directory.appendingPathComponent("out.txt").path
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        let duration = seconds.map { "-T \($0)" } ?? "-t \(transactions ?? 1)"
        let command = "\(toolEnvironment)\(ShellCommand.quote(try Self.tool("pgbench"))) -n -M prepared -c \(clients) -j \(clients) \(duration) "
            + "-f \(ShellCommand.quote(scriptFile)) \(toolArguments) > \(ShellCommand.quote(outputFile)) 2>&1"
        let status = try await ShellCommand.run(command)
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard status == 0, let tps = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") })
            .flatMap({ Double($0.dropFirst(6).prefix { $0 == "." || $0.isNumber }) })
        else {
            throw LedgerError(.database, "pgbench failed: \(output.prefix(600))")
        }
        return tps
    }
}
