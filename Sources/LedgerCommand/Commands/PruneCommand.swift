import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerArchive

/// `ledger prune`: removes old events (by default only log lines) from the hot database once a
/// verified archive holds them; `ledger verify` keeps passing through the stubs it keeps.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove old events, archived and verified, from the hot database.",
        discussion: """
            Verifies the archive DIR offline, checks that it holds exactly this log's events in its \
            range, then removes the events of that range recorded before --before (by default only \
            deployment log lines). Each removed event leaves a stub (position, stream, version, \
            hashes) so chains, seals and `ledger verify` still hold; the pruning is recorded in \
            ledger.prunings and as an EventsPruned event in the stream retention-log. \
            A plain DELETE on the log stays impossible.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("before"), help: "Prune events recorded before this time: ISO 8601 (2026-08-01T00:00:00Z) or days ago (90d).")
    var before: String

    @Option(name: .customLong("archive"), help: "The archive that holds the events to prune (from `ledger archive`).")
    var archive: String

    @Option(name: .customLong("categories"), help: "Comma-separated stream categories to prune from, or 'all'.")
    var categories: String = "deployment"

    @Option(name: .customLong("types"), help: "Comma-separated event types to prune, or 'all'.")
    var types: String = LogLinesAppended.eventType

    @Option(name: .customLong("actor"), help: "Who prunes (env: LEDGER_ACTOR, else the login name).")
    var actor: String?

    func validate() throws {
        _ = try Self.parseTime(before)
    }

    static func parseTime(_ text: String, now: Date = Date()) throws -> Date {
        if text.hasSuffix("d"), let days = Int(text.dropLast()), days >= 0 {
            return now.addingTimeInterval(-Double(days) * 86_400)
        }
        if let micros = Timestamps.parse(text) { return Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
        throw ValidationError("--before must be an ISO 8601 time (2026-08-01T00:00:00Z) or a number of days (90d), not '\(text)'")
    }

    static func list(_ text: String) -> [String] {
        text == "all" ? [] : text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        var request = ArchivePruner.Request(
            before: try Self.parseTime(before), archive: archive,
            actor: DomainOptions.resolveActor(actor))
        request.categories = Self.list(categories)
        request.eventTypes = Self.list(types)
        let line = ProgressLine("prune: verifying the archive", quiet: connection.quiet)
        let frozen = request
        let outcome = try await reportingErrors {
            try await LedgerRuntime.run(connection, deadline: .longRunning) { session in
                try await ArchivePruner(store: session.store, client: session.client, logger: session.logger).prune(frozen, progress: line.update)
            }
        }
        line.finish()
        guard let outcome else { throw ExitCode.failure }
        guard let pruned = outcome.pruned else {
            printLine("prune: nothing to prune in positions \(outcome.archive.fromPosition)–\(outcome.archive.toPosition) recorded before \(before)")
            return
        }
        printLine(
            "prune: removed \(pruned.eventCount) events from positions \(pruned.fromPosition)–\(pruned.toPosition) (pruning \(pruned.pruningNumber), "
                + "digest \(pruned.digest), archive \(pruned.archiveDigest))")
    }
}
