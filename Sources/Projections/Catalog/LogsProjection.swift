import Foundation
import Ledger
import Logging
import PostgresNIO

/// `logs`: every deployment log line as a row, in order, filterable by deployment, step and
/// level. Written with one multi-row insert per batch.
public struct LogsProjection: Projection {
    public init() {}
    public let name = "logs"
    public let version = 1
    public let eventTypes: Set<String> = [LogLinesAppended.eventType]
    public let tables = ["lines"]

    public func definitions(schema: String) -> [String] {
        [
            """
            CREATE TABLE \(schema).lines (
                deployment_id text NOT NULL, position bigint NOT NULL, line integer NOT NULL,
                step text, level text NOT NULL, message text NOT NULL, data jsonb, at_us bigint NOT NULL,
                PRIMARY KEY (deployment_id, position, line))
            """
        ]
    }

    public func apply(_ events: [RecordedEvent], schema: String, connection: PostgresConnection, logger: Logger) async throws {
        var deployments: [String] = [], positions: [Int64] = [], lines: [Int32] = [], steps: [String] = []
        // Arrays of optionals do not bind, so absent values travel as '' and become NULL in SQL.
        var levels: [String] = [], messages: [String] = [], data: [String] = [], times: [Int64] = []
        for event in events {
            guard case .logLinesAppended(let appended) = try event.domainRecord().event else { continue }
            for (index, line) in appended.lines.enumerated() {
                deployments.append(appended.deploymentID)
                positions.append(event.position)
                lines.append(Int32(index))
                steps.append(line.step?.rawValue ?? "")
                levels.append(line.level.rawValue)
                messages.append(line.message)
                data.append(try line.data.map { String(decoding: try LedgerJSON.encode($0), as: UTF8.self) } ?? "")
                times.append(line.atMicroseconds)
            }
        }
        guard !deployments.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).lines (deployment_id, position, line, step, level, message, data, at_us)
            SELECT d, p, l, NULLIF(s, ''), v, m, NULLIF(j, '')::jsonb, t FROM unnest(\(deployments)::text[], \(positions)::bigint[], \(lines)::int[],
                \(steps)::text[], \(levels)::text[], \(messages)::text[], \(data)::text[], \(times)::bigint[]) AS u(d, p, l, s, v, m, j, t)
            """, logger: logger)
    }
}
