import ArgumentParser
import Foundation
import Ledger
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
                var filter = filter
                var printed = 0
                var rows: [[String]] = []
                if format == "csv" { printLine("position,time,actor,action,target,organisation,project,request_id,correlation_id,summary") }
                while limit.map({ printed < $0 }) ?? true {
                    filter.limit = min(1_000, (limit ?? Int.max) - printed)
                    let page = try await session.reader.audit(filter)
                    for entry in page {
                        switch format {
                        case "ndjson": try Output.json(entry)
                        case "csv": printLine(Self.csv(entry))
                        default:
                            rows.append([
                                "\(entry.position)", Output.time(entry.atMicroseconds), entry.actor ?? "-", entry.action, entry.target, entry.summary,
                            ])
                        }
                    }
                    printed += page.count
                    guard let last = page.last, page.count == filter.limit else { break }
                    filter.afterPosition = last.position
                }
                if format == "table" { Output.table(["POSITION", "TIME", "ACTOR", "ACTION", "TARGET", "SUMMARY"], rows) }
            }
        }
    }

    static func csv(_ entry: AuditEntry) -> String {
        [
            "\(entry.position)", EventJSON.timestamp(entry.atMicroseconds), entry.actor ?? "", entry.action, entry.target,
            entry.organisation ?? "", entry.project ?? "", entry.requestID ?? "", entry.correlationID?.uuidString.lowercased() ?? "",
            entry.summary,
        ].map(csvField).joined(separator: ",")
    }

    /// Quotes a field when it needs it (RFC 4180), and defuses spreadsheet formulas.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\n\r".contains($0) }) || value != value.trimmingCharacters(in: .whitespaces) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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

/// Parses RFC 3339 times (with or without fractional seconds) to microseconds since 1970.
enum Timestamps {
    static func parse(_ text: String) -> Int64? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = fractional.date(from: text) ?? plain.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
