import ArgumentParser
import CommandRuntime
import Foundation
import Ledger
import LedgerDomain
import Projections

/// `ledger compliance report --environment E --from --to`: every change of an environment in a
/// period — requester, approvers, rules in force then, promotion, break-glass, outcome — and the
/// integrity of the log range it was read from. A table, `--csv`, or `--json`.
struct ComplianceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compliance", abstract: "Change-management evidence.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An environment's changes in a period, with approvals and the integrity of their log range.",
            discussion: "Exits 4 when the log range the report was read from fails its integrity check.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option var environment: String
        @Option(help: "RFC 3339; default: 30 days before --to.") var from: String?
        @Option(help: "RFC 3339; default: now.") var to: String?
        @Flag(help: "CSV, as the API's download.") var csv = false

        func validate() throws {
            for (label, text) in [("--from", from), ("--to", to)] where text != nil && Timestamps.parse(text!) == nil {
                throw ValidationError("\(label) must be an RFC 3339 instant, e.g. 2026-11-01T00:00:00Z")
            }
        }

        func run() async throws {
            let end = to.flatMap(Timestamps.parse) ?? Int64(Date().timeIntervalSince1970 * 1_000_000)
            let start = from.flatMap(Timestamps.parse) ?? end - 30 * 86_400_000_000
            try await reportingErrors {
                guard let report = try await DomainSession.run(connection, { [environment, options] session in
                    try await session.service.complianceReport(environment: environment, from: start, to: end, context: options.context)
                }) else { return }
                if csv {
                    FileHandle.standardOutput.write(Data(ComplianceExport.csv(report).utf8))
                } else if options.json {
                    try Output.json(report)
                } else {
                    Output.table(
                        ["#", "DEPLOYMENT", "STATUS", "REQUESTER", "APPROVED BY", "SEPARATION", "COMMIT", "NOTES"],
                        report.changes.map { change in
                            let notes = [change.breakGlass.map { "BREAK-GLASS: \($0.reason)" }, change.promotion.map { "promoted from \($0.environmentID)" }]
                            return [
                                "\(change.number)", change.deploymentID, change.status, change.requester,
                                change.approvals.filter(\.counted).map(\.user).joined(separator: ", "), change.separationOfDuties, change.commit ?? "-",
                                notes.compactMap { $0 }.joined(separator: "; "),
                            ]
                        })
                    if let integrity = report.integrity {
                        printLine(integrity.isClean
                            ? "integrity: positions \(integrity.fromPosition)–\(integrity.toPosition) verified (\(integrity.eventsChecked) events, seals \(integrity.seals.map(String.init).joined(separator: " ")))"
                            : "integrity: PROBLEMS in positions \(integrity.fromPosition)–\(integrity.toPosition): " + integrity.problems.joined(separator: "; "))
                    }
                }
                if let integrity = report.integrity, !integrity.isClean { throw LedgerExitCode.integrityProblem }
            }
        }
    }
}
