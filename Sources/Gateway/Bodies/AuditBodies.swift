import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import NIOCore
import Projections

/// `?at=RFC3339` or `?position=N` of the history endpoints (now when neither).
enum HistoryQuery {
    static func point(_ parameters: Parameters) throws -> HistoryPoint {
        switch (parameters["at"], parameters["position"]) {
        case (nil, nil): return .now
        case (let at?, nil):
            guard let micros = Timestamps.parse(String(at)) else { throw APIError.badRequest("at must be an RFC 3339 time (got '\(at)')") }
            return .instant(microseconds: micros)
        case (nil, let position?):
            guard let value = Int64(position), value >= 0 else { throw APIError.badRequest("position must be a whole number ≥ 0 (got '\(position)')") }
            return .position(value)
        default: throw APIError.badRequest("give at or position, not both")
        }
    }
}

/// The query of `GET /api/v1/audit`: filters, where to start (the opaque `cursor` of the page
/// before, or `after`, a log position), a page size and the format.
struct AuditQuery {
    enum Format: String { case json, csv, ndjson }
    static let maximumLimit = 500

    var filter = ProjectionReader.AuditFilter()
    var format = Format.json
    /// For downloads: at most this many rows in all (none: every row).
    var total: Int?

    init(_ parameters: Parameters) throws {
        filter.actor = parameters["actor"].map(String.init)
        filter.action = parameters["action"].map(String.init)
        filter.target = parameters["target"].map(String.init)
        filter.organisation = parameters["organization_id"].map(String.init)
        for (name, keyPath) in [("from", \ProjectionReader.AuditFilter.fromMicroseconds), ("to", \.toMicroseconds)] {
            if let text = parameters[Substring(name)] {
                guard let micros = Timestamps.parse(String(text)) else { throw APIError.badRequest("\(name) must be an RFC 3339 time (got '\(text)')") }
                filter[keyPath: keyPath] = micros
            }
        }
        if let text = parameters["after"] {
            guard let after = Int64(text), after >= 0 else { throw APIError.badRequest("after must be a position ≥ 0 (got '\(text)')") }
            filter.afterPosition = after
        }
        // Both start after a position: given both, the page starts after the later one.
        if let text = parameters["cursor"], !text.isEmpty {
            filter.afterPosition = max(filter.afterPosition, try ListCursor.position(text, of: "audit"))
        }
        filter.limit = 100
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumLimit) (got '\(text)')")
            }
            filter.limit = limit
            total = limit
        }
        if let text = parameters["format"] {
            guard let format = Format(rawValue: String(text)) else { throw APIError.badRequest("format must be json, csv or ndjson (got '\(text)')") }
            self.format = format
            if format != .json, parameters["limit"] == nil { total = nil }
        }
    }
}

/// A page of the audit trail and the cursor of the next one (nil on the last page).
struct AuditPageBody: Encodable, Sendable {
    var entries: [AuditRow]
    var nextCursor: String?
}

/// The audit trail as a CSV or NDJSON download that streams page by page: memory stays bounded
/// however many rows there are.
enum AuditDownload {
    static func response(_ query: AuditQuery, reader: ProjectionReader) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = query.format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        headers[.contentDisposition] = "attachment; filename=\"audit.\(query.format.rawValue)\""
        let format = query.format
        var pageFilter = query.filter
        pageFilter.limit = AuditExport.pageSize
        let filter = pageFilter
        let body = ResponseBody { writer in
            if format == .csv { try await writer.write(ByteBuffer(string: AuditExport.csvHeader + "\n")) }
            try await AuditExport(reader: reader).forEachPage(filter, limit: query.total) { page in
                var chunk = ""
                for entry in page {
                    chunk += (format == .csv ? AuditExport.csvLine(entry) : try AuditExport.ndjsonLine(entry)) + "\n"
                }
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// `GET /api/v1/verify`: what `ledger verify` says, as JSON.
struct VerifyBody: Encodable, Sendable {
    struct Problem: Encodable, Sendable {
        var position: Int64
        var stream: String?
        var kind: String
        var detail: String
    }

    var ok: Bool
    var eventsChecked: Int64
    var sealsChecked: Int
    var lastPosition: Int64
    var firstBadPosition: Int64?
    var problems: [Problem]

    init(_ report: VerificationReport) {
        ok = report.isClean
        eventsChecked = report.eventsChecked
        sealsChecked = report.sealsChecked
        lastPosition = report.lastPosition
        firstBadPosition = report.firstProblem?.position
        problems = report.problems.prefix(100).map { Problem(position: $0.position, stream: $0.streamID, kind: "\($0.kind)", detail: $0.detail) }
    }
}
