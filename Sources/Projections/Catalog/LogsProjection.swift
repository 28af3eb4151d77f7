import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// `logs`: every deployment log line, in order, filterable by deployment, step and level.
///
/// One row per `LogLinesAppended` event, pointing at the event in the log: readers expand a
/// deployment's events into lines in SQL (``ProjectionReader/logs(deployment:level:step:skip:limit:)``)
/// straight from the log's own JSON, so the lines — most of the log — are stored once, and a
/// rebuild writes a few bytes per event instead of copying them. Only an event whose JSON the
/// reader's SQL could not expand exactly as Swift decodes it (an unusual spelling, or a NUL,
/// which PostgreSQL text cannot hold) keeps its lines here, re-encoded. Every event is still
/// decoded before it is indexed, so a malformed one stops this projection like any other.
/// Lines of pruned events leave with them (they are in the archive).
public struct LogsProjection: Projection {
    public init() {}
    public let name = "logs"
    public let version = 3
    public let eventTypes: Set<String> = [LogLinesAppended.eventType]
    public let tables = ["batches"]

    public func definitions(schema: String) -> [String] {
        [
            """
            CREATE TABLE \(schema).batches (
                deployment_id text NOT NULL, position bigint NOT NULL, line_count integer NOT NULL, body text)
            """,
            // An index, not a primary key: a rebuild builds it once from the filled table (plain
            // inserts need no key while filling; each position is inserted once).
            "CREATE UNIQUE INDEX batches_key ON \(schema).batches (deployment_id, position)",
        ]
    }

    public func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
        // Arrays of optionals do not bind: no body travels as '' (a kept body is a JSON object, never empty).
        var deployments: [String] = [], positions: [Int64] = [], counts: [Int32] = [], bodies: [String] = []
        for index in 0..<batch.count {
            try batch.withRecord(index) { record in
                guard case .logLinesAppended(let appended) = record.event else { return }
                deployments.append(appended.deploymentID)
                positions.append(record.position)
                counts.append(Int32(appended.lines.count))
                bodies.append(try Self.keptBody(of: batch.eventData(index), appended, plainJSON: batch.isPlainJSON(index)) ?? "")
            }
        }
        guard !deployments.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).batches (deployment_id, position, line_count, body)
            SELECT d, p, c, NULLIF(b, '') FROM unnest(\(deployments)::text[], \(positions)::bigint[], \(counts)::int[], \(bodies)::text[])
                AS u(d, p, c, b)
            """, logger: logger)
    }

    /// The lines to keep in the read model, or nil when the reader can expand the event's own
    /// JSON: it is in the plain shape that the reader's SQL reads exactly as Swift decodes it.
    static func keptBody(of json: Data, _ appended: LogLinesAppended, plainJSON: Bool) throws -> String? {
        if plainJSON, !containsEscapedNUL(json) { return nil }
        return String(decoding: try LedgerJSON.encode(withoutNUL(appended)), as: UTF8.self)
    }

    /// Whether the JSON has `\u0000`: PostgreSQL's text cannot hold NUL, so the reader's SQL
    /// could not expand it. (A false alarm on an escaped backslash before `u0000` only costs the
    /// slower path.)
    static func containsEscapedNUL(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return false }
            // Backslashes are rare in log lines: jump from one to the next.
            var start = 0
            while start + 6 <= bytes.count {
                guard let found = memchr(base + start, 0x5C, bytes.count - 5 - start) else { return false }
                let index = base.distance(to: UnsafeRawPointer(found))
                if bytes[index + 1] == 0x75, bytes[index + 2] == 0x30, bytes[index + 3] == 0x30, bytes[index + 4] == 0x30,
                    bytes[index + 5] == 0x30
                {
                    return true
                }
                start = index + 1
            }
            return false
        }
    }

    /// The lines with each NUL character shown as U+FFFD, the one change the read model makes.
    static func withoutNUL(_ appended: LogLinesAppended) -> LogLinesAppended {
        func clean(_ text: String) -> String { text.contains("\0") ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text }
        var copy = appended
        copy.lines = appended.lines.map { line in
            var line = line
            line.message = clean(line.message)
            line.data = line.data.map { Dictionary($0.map { (clean($0.key), clean($0.value)) }, uniquingKeysWith: { first, _ in first }) }
            return line
        }
        return copy
    }
}
