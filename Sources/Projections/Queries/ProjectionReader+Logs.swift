import Foundation
import Ledger
import LedgerDomain
import PostgresNIO

/// One deployment log line as the logs projection holds it.
public struct LogEntry: Sendable, Codable, Equatable {
    public var position: Int64
    public var line: Int
    public var step: String?
    public var level: LogLevel
    public var message: String
    public var data: [String: String]?
    public var atMicroseconds: Int64

    public init(
        position: Int64, line: Int, step: String?, level: LogLevel, message: String, data: [String: String]?, atMicroseconds: Int64
    ) {
        self.position = position
        self.line = line
        self.step = step
        self.level = level
        self.message = message
        self.data = data
        self.atMicroseconds = atMicroseconds
    }
}

/// One row of the audit trail.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var position: Int64
    public var atMicroseconds: Int64
    public var actor: String?
    public var action: String
    public var target: String
    public var organisation: String?
    public var project: String?
    public var requestID: String?
    public var correlationID: UUID?
    public var summary: String
}

extension ProjectionReader {
    /// The most log lines one page returns.
    public static let maximumLogPage = 500

    /// A deployment's log lines in order, optionally of one step and level, paged.
    public func logs(
        deployment: String, level: LogLevel? = nil, step: String? = nil, skip: Int = 0, limit: Int = 500
    ) async throws -> [LogEntry] {
        let limit = min(max(limit, 1), Self.maximumLogPage), skip = max(skip, 0)
        var entries: [LogEntry] = []
        do {
            // Each row points at one event of this deployment (or holds its lines re-encoded);
            // expand them into lines. Pruned events have left the log, and their lines with them.
            let rows = try await client.liveQuery(
                """
                SELECT b.position, (l.n - 1)::int4, l.line->>'step', l.line->>'level', l.line->>'message',
                       CASE WHEN json_typeof(l.line->'data') = 'object' THEN (l.line->'data')::text END,
                       (l.line->>'atMicroseconds')::int8
                FROM proj_logs.batches b
                LEFT JOIN ledger.events e ON b.body IS NULL AND e.position = b.position
                CROSS JOIN LATERAL json_array_elements(coalesce(b.body, convert_from(e.data, 'UTF8'))::json->'lines')
                    WITH ORDINALITY AS l(line, n)
                WHERE b.deployment_id = \(deployment)
                  AND (\(level?.rawValue)::text IS NULL OR l.line->>'level' = \(level?.rawValue))
                  AND (\(step)::text IS NULL OR l.line->>'step' = \(step))
                ORDER BY b.position, l.n OFFSET \(skip) LIMIT \(limit)
                """, logger: logger)
            for (position, line, step, level, message, data, at) in try rows.decode(
                (Int64, Int32, String?, String, String, String?, Int64).self)
            {
                entries.append(LogEntry(
                    position: position, line: Int(line), step: step, level: LogLevel(rawValue: level) ?? .info, message: message,
                    data: try data.map { try LedgerJSON.decode([String: String].self, from: Data($0.utf8)) }, atMicroseconds: at))
            }
        } catch {
            throw ProjectionReader.readFailure(error, "reading logs failed")
        }
        return entries
    }

    /// Which audit rows to read; nil means any.
    public struct AuditFilter: Sendable {
        public var actor: String?
        public var action: String?
        public var target: String?
        public var organisation: String?
        public var fromMicroseconds: Int64?
        public var toMicroseconds: Int64?
        /// Only rows after this position (for paging through an export).
        public var afterPosition: Int64 = 0
        public var limit = 1_000
        public init() {}
    }

    /// Audit rows in log order.
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        do {
            let rows = try await client.liveQuery(
                """
                SELECT position, at_us, actor, action, target, organisation, project, request_id, correlation_id, summary
                FROM proj_audit.entries
                WHERE position > \(filter.afterPosition)
                  AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
                  AND (\(filter.action)::text IS NULL OR action = \(filter.action))
                  AND (\(filter.target)::text IS NULL OR target = \(filter.target))
                  AND (\(filter.organisation)::text IS NULL OR organisation = \(filter.organisation))
                  AND (\(filter.fromMicroseconds)::bigint IS NULL OR at_us >= \(filter.fromMicroseconds))
                  AND (\(filter.toMicroseconds)::bigint IS NULL OR at_us < \(filter.toMicroseconds))
                ORDER BY position LIMIT \(max(1, filter.limit))
                """, logger: logger)
            for (position, at, actor, action, target, organisation, project, request, correlation, summary) in try rows.decode(
                (Int64, Int64, String?, String, String, String?, String?, String?, UUID?, String).self)
            {
                entries.append(AuditEntry(
                    position: position, atMicroseconds: at, actor: actor, action: action, target: target, organisation: organisation,
                    project: project, requestID: request, correlationID: correlation, summary: summary))
            }
        } catch {
            throw ProjectionReader.readFailure(error, "reading the audit trail failed")
        }
        return entries
    }
}
