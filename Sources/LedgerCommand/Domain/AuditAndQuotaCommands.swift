import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Projections

/// `ledger audit [filters] [--format table|csv|ndjson]`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail: who did what, to what, when. Export as CSV or NDJSON.")
    @OptionGroup var connection: ConnectionOptions
    @Option var actor: String?
    @Option(help: "An event type, e.g. DeploymentRequested.") var action: String?
    @Option(help: "A stream, e.g. environment-shop-prod.") var target: String?
    @Option(name: .customLong("org")) var organisation: String?
    @Option(help: "From this time (RFC 3339, e.g. 2026-11-21T10:00:00Z).") var from: String?
    @Option(help: "Before this time (RFC 3339).") var to: String?
    @Option(help: "table, csv or ndjson.") var format = "table"
    @Option(help: "Most rows (default: all).") var limit: Int?

    func validate() throws {
        guard ["table", "csv", "ndjson"].contains(format) else { throw ValidationError("--format must be table, csv or ndjson") }
        if let from, Timestamps.parse(from) == nil { throw ValidationError("--from must be an RFC 3339 time, not '\(from)'") }
        if let to, Timestamps.parse(to) == nil { throw ValidationError("--to must be an RFC 3339 time, not '\(to)'") }
    }

    func run() async throws {
        try await reportingErrors {
            var filter = ProjectionReader.AuditFilter()
            filter.actor = actor
            filter.action = action
            filter.target = target
            filter.organisation = organisation
            filter.fromMicroseconds = from.flatMap(Timestamps.parse)
            filter.toMicroseconds = to.flatMap(Timestamps.parse)
            _ = try await DomainSession.run(connection, deadline: format == "table" ? .command : .longRunning) { [filter, format, limit] session in
                try await session.catchUp(["audit"])
                var rows: [[String]] = []
                if format == "csv" { printLine(AuditExport.csvHeader) }
                try await AuditExport(reader: session.reader).forEachPage(filter, limit: limit) { page in
                    for entry in page {
                        switch format {
                        case "ndjson": printLine(try AuditExport.ndjsonLine(entry))
                        case "csv": printLine(AuditExport.csvLine(entry))
                        default:
                            rows.append([
                                "\(entry.position)", Output.time(entry.atMicroseconds), entry.actor ?? "-", entry.action, entry.target, entry.summary,
                            ])
                        }
                    }
                }
                if format == "table" { Output.table(["POSITION", "TIME", "ACTOR", "ACTION", "TARGET", "SUMMARY"], rows) }
            }
        }
    }
}

/// `ledger quota ORG`.
struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota", abstract: "CPU, RAM and disk allocated to an organisation's active environments, against its quota.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument(help: "The organisation.") var organisation: String

    func run() async throws {
        try await reportingErrors {
            guard let usage = try await DomainSession.run(connection, { [organisation] session in
                guard try await session.service.organisation(organisation) != nil else { throw CommandRejection(.notFound, "no such organisation") }
                try await session.catchUp(["quota"])
                return try await session.reader.quota(organisation: organisation)
            }) else { return }
            if options.json { return try Output.json(usage) }
            printLine("organisation \(usage.organisationID): \(usage.activeEnvironments) active environments (\(usage.inactiveEnvironments) inactive)")
            printLine("used   \(Output.resources(usage.used))")
            printLine("quota  \(usage.quota.map(Output.quota) ?? "unlimited")")
        }
    }
}
