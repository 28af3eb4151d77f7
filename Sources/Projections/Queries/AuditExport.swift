import Foundation
import Ledger

/// The audit trail page by page, in log order, for listings and downloads of any size: one
/// page of at most ``pageSize`` rows is in memory at a time (keyset paging on the position).
/// Also the CSV and NDJSON shape of a row, shared by the CLI and the HTTP API.
public struct AuditExport: Sendable {
    /// Rows per page read from the audit projection.
    public static let pageSize = 1_000
    let reader: ProjectionReader

    public init(reader: ProjectionReader) {
        self.reader = reader
    }

    /// Calls `body` with each page of the rows `filter` selects, at most `limit` rows in all.
    public func forEachPage(_ filter: ProjectionReader.AuditFilter, limit: Int? = nil, _ body: ([AuditEntry]) async throws -> Void) async throws {
        var filter = filter
        var delivered = 0
        while limit.map({ delivered < $0 }) ?? true {
            filter.limit = min(Self.pageSize, (limit ?? Int.max) - delivered)
            let page = try await reader.audit(filter)
            if !page.isEmpty { try await body(page) }
            delivered += page.count
            guard let last = page.last, page.count == filter.limit else { return }
            filter.afterPosition = last.position
        }
    }

    /// The CSV header line.
    public static let csvHeader = "position,time,actor,action,target,organisation,project,request_id,correlation_id,summary"

    /// One row as a CSV line (RFC 4180 quoting; a field a spreadsheet would run as a formula is defused).
    public static func csvLine(_ entry: AuditEntry) -> String {
        [
            "\(entry.position)", Timestamps.format(entry.atMicroseconds), entry.actor ?? "", entry.action, entry.target,
            entry.organisation ?? "", entry.project ?? "", entry.requestID ?? "", entry.correlationID?.uuidString.lowercased() ?? "",
            entry.summary,
        ].map(csvField).joined(separator: ",")
    }

    /// One row as a line of NDJSON.
    public static func ndjsonLine(_ entry: AuditEntry) throws -> String {
        String(decoding: try LedgerJSON.encode(entry), as: UTF8.self)
    }

    /// Quotes a field when it needs it (RFC 4180), and defuses spreadsheet formulas.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\n\r".contains($0) }) || value != value.trimmingCharacters(in: .whitespaces) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
