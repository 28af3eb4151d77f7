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

    /// The CSV header line: the same names, in the same order, as an entry's JSON keys.
    public static let csvHeader = AuditRow.keys.joined(separator: ",")

    /// One row as a CSV line (RFC 4180 quoting; a field a spreadsheet would run as a formula is defused).
    public static func csvLine(_ entry: AuditEntry) -> String {
        AuditRow(entry).fields.map { csvField($0 ?? "") }.joined(separator: ",")
    }

    /// One row as a line of NDJSON: the JSON API's entry, key for key.
    public static func ndjsonLine(_ entry: AuditEntry) throws -> String {
        String(decoding: try LedgerJSON.encode(AuditRow(entry)), as: UTF8.self)
    }

    /// Quotes a field when it needs it (RFC 4180), and defuses spreadsheet formulas.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\n\r".contains($0) }) || value != value.trimmingCharacters(in: .whitespaces) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// One audit entry in the shape every face shows it — the JSON API, the NDJSON and CSV
/// downloads, and the CLI's exports: snake_case keys as in the seed (`at`, `organization_id`…),
/// an RFC 3339 time, and absent values as null (empty in CSV).
public struct AuditRow: Codable, Sendable, Equatable {
    public var position: Int64
    public var at: String
    public var actor: String?
    public var action: String
    public var target: String
    public var organizationID: String?
    public var projectID: String?
    public var requestID: String?
    public var correlationID: String?
    public var summary: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case position, at, actor, action, target
        case organizationID = "organization_id"
        case projectID = "project_id"
        case requestID = "request_id"
        case correlationID = "correlation_id"
        case summary
    }

    /// The keys in order (the CSV columns).
    public static let keys = CodingKeys.allCases.map(\.rawValue)

    public init(_ entry: AuditEntry) {
        position = entry.position
        at = Timestamps.format(entry.atMicroseconds)
        actor = entry.actor
        action = entry.action
        target = entry.target
        organizationID = entry.organisation
        projectID = entry.project
        requestID = entry.requestID
        correlationID = entry.correlationID?.uuidString.lowercased()
        summary = entry.summary
    }

    /// The values in ``keys`` order.
    var fields: [String?] { ["\(position)", at, actor, action, target, organizationID, projectID, requestID, correlationID, summary] }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(position, forKey: .position)
        try container.encode(at, forKey: .at)
        try container.encode(actor, forKey: .actor)
        try container.encode(action, forKey: .action)
        try container.encode(target, forKey: .target)
        try container.encode(organizationID, forKey: .organizationID)
        try container.encode(projectID, forKey: .projectID)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(correlationID, forKey: .correlationID)
        try container.encode(summary, forKey: .summary)
    }
}
