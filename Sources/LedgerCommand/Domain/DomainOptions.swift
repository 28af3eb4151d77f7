import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Projections

/// Who is acting and how results are printed, shared by the deployment commands.
struct DomainOptions: ParsableArguments {
    @Option(name: .customLong("actor"), help: "Who is acting (env: LEDGER_ACTOR, else the login name).")
    var actor: String?

    @Flag(name: .customLong("json"), help: "Print JSON for scripts instead of a table.")
    var json = false

    @Option(
        name: .customLong("idempotency-key"),
        help: "A key of yours for this command: run again with the same key, it is not carried out twice (it answers as the first time did).")
    var idempotencyKey: String?

    var resolvedActor: String { Self.resolveActor(actor) }

    /// The command's context: who acts, through the CLI, with the idempotency key if given.
    var context: CommandContext { CommandContext(actor: resolvedActor, source: "cli", idempotencyKey: idempotencyKey) }

    /// The `--actor` given, else `LEDGER_ACTOR`, else the login name: the one rule for every command that records an actor.
    static func resolveActor(_ flag: String?) -> String {
        flag ?? Environment.value("LEDGER_ACTOR") ?? Environment.value("USER") ?? "unknown"
    }
}

/// Running a deployment command: the service and reader over one ledger session, with the
/// projections a query needs caught up first so a command reads its own writes.
struct DomainSession: Sendable {
    let session: LedgerSession
    var service: DeploymentService { DeploymentService(store: session.store, source: "cli") }
    var reader: ProjectionReader { ProjectionReader(client: session.client, logger: session.logger) }

    /// Brings the named projections up to the head (what this or an earlier command wrote);
    /// warns when one cannot (stopped by a bad event).
    func catchUp(_ names: [String]) async throws {
        let behind = try await ProjectionCatalog.catchUp(names, store: session.store, client: session.client, logger: session.logger)
        for name in behind {
            printError("warning: projection \(name) is behind the log (see `ledger projections status`); results may be stale")
        }
    }

    static func run<T: Sendable>(
        _ connection: ConnectionOptions, deadline: CommandDeadline = .command, _ body: @escaping @Sendable (DomainSession) async throws -> T
    ) async throws -> T? {
        try await LedgerRuntime.run(connection, deadline: deadline) { session in try await body(DomainSession(session: session)) }
    }
}

/// Prints values as JSON lines or aligned tables.
enum Output {
    /// What a command did, said once: nothing with `--quiet` (the exit status says it), a JSON
    /// object of `fields` with `--json`, else `sentence`.
    static func done(_ sentence: String, _ fields: [String: String], connection: ConnectionOptions, options: DomainOptions) throws {
        if options.json {
            printLine(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
        } else if !connection.quiet {
            printLine(sentence)
        }
    }

    static func json<T: Encodable>(_ value: T) throws {
        printLine(String(decoding: try LedgerJSON.encode(value), as: UTF8.self))
    }

    /// Prints rows under a header, each column as wide as its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        // One line per row, whatever a cell holds: a newline in a commit message stays visible.
        let rows = rows.map { $0.map { TerminalText.visible($0) } }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        printLine(line(header))
        for row in rows { printLine(line(row)) }
    }

    /// `2026-11-21 10:30:05` in UTC.
    static func time(_ microseconds: Int64?) -> String {
        guard let microseconds else { return "-" }
        return Timestamps.formatForPeople(microseconds)
    }

    static func duration(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "-" }
        return milliseconds >= 60_000 ? String(format: "%.1f min", Double(milliseconds) / 60_000) : String(format: "%.1fs", Double(milliseconds) / 1_000)
    }

    /// A quota, where 0 means that resource is not limited.
    static func quota(_ quota: Resources) -> String {
        [
            quota.cpuMillicores > 0 ? String(format: "%.2f CPU", Double(quota.cpuMillicores) / 1_000) : "CPU unlimited",
            quota.memoryMB > 0 ? "\(quota.memoryMB) MB RAM" : "RAM unlimited",
            quota.diskGB > 0 ? "\(quota.diskGB) GB disk" : "disk unlimited",
        ].joined(separator: ", ")
    }

    static func resources(_ resources: Resources) -> String {
        String(format: "%.2f CPU, %d MB RAM, %d GB disk", Double(resources.cpuMillicores) / 1_000, resources.memoryMB, resources.diskGB)
    }
}
