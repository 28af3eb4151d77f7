import PostgresNIO
import Foundation
import ArgumentParser
import Executors
import Ledger
import Logging

/// Where the ledger's database is, shared by every command.
package struct ConnectionOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL, e.g. postgres://user:pass@host:5432/ledger (env: DATABASE_URL). Without it the embedded cluster under --data-dir is used.",
            valueName: "url"))
    package var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Where the embedded PostgreSQL lives (env: LEDGER_DATA_DIR).", valueName: "path"))
    package var dataDirectory: String?

    @Option(
        name: .customLong("keyring"),
        help: ArgumentHelp(
            "The directory of organisations' SSH key files, one directory per organisation (env: LEDGER_KEYRING; default: DATA-DIR/keys).",
            valueName: "path"))
    package var keyringDirectory: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (env: LOG_LEVEL).", valueName: "level"))
    package var logLevel: String?

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("Seconds a command may take before it gives up (env: LEDGER_TIMEOUT; default 30). Services and long jobs have none.", valueName: "seconds"))
    package var timeout: Double?

    @Option(
        name: .customLong("grace-period"),
        help: ArgumentHelp("Seconds a graceful stop after SIGINT/SIGTERM may take before the process exits anyway (env: LEDGER_GRACE_PERIOD; default 10).", valueName: "seconds"))
    package var gracePeriod: Double?

    @Flag(name: .customLong("quiet"), help: "Print only results, no progress or status messages.")
    package var quiet = false

    package func validate() throws {
        if let level = resolvedLogLevelText, Logger.Level(rawValue: level) == nil {
            throw ValidationError("unknown log level '\(level)'; use trace, debug, info, notice, warning, error or critical")
        }
        for (name, text) in [("--timeout", timeout.map { "\($0)" } ?? Environment.value("LEDGER_TIMEOUT")), ("--grace-period", gracePeriod.map { "\($0)" } ?? Environment.value("LEDGER_GRACE_PERIOD"))] {
            if let text, (Double(text) ?? 0) <= 0 { throw ValidationError("\(name) must be a positive number of seconds (got '\(text)')") }
        }
        if let url = resolvedDatabaseURLText {
            do { _ = try DatabaseURL(parsing: url) } catch { throw ValidationError(error.message) }
        }
    }

    package var resolvedDatabaseURLText: String? { databaseURL ?? Environment.value("DATABASE_URL") }
    package var resolvedDataDirectory: String { dataDirectory ?? Environment.value("LEDGER_DATA_DIR") ?? ".ledger" }
    /// The organisations' key files on this machine (`ledger keys add` puts them there).
    package var resolvedKeyring: Keyring { Keyring(root: keyringDirectory ?? Environment.value("LEDGER_KEYRING") ?? resolvedDataDirectory + "/keys") }
    /// How long a command may take as a whole.
    package var resolvedTimeout: Duration { .seconds(timeout ?? Environment.value("LEDGER_TIMEOUT").flatMap(Double.init) ?? 30) }
    /// How long one request waits for a database connection: 10 s, or less when the command's own limit is shorter.
    package var resolvedConnectTimeout: Duration { min(.seconds(10), resolvedTimeout) }
    /// How long a graceful stop may take.
    package var resolvedGracePeriod: Duration { .seconds(gracePeriod ?? Environment.value("LEDGER_GRACE_PERIOD").flatMap(Double.init) ?? 10) }
    package var resolvedLogLevelText: String? { logLevel ?? Environment.value("LOG_LEVEL") }

    package func makeLogger() -> Logger {
        var logger = Logger(label: "ledger") { LedgerLogHandler(label: $0, metadataProvider: $1) }
        logger.logLevel = resolvedLogLevelText.flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }
}

/// The process environment, read only by the executable (components get configuration structs).
package enum Environment {
    package static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
