import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The locked path: lock the head, read the streams and ids involved, plan, insert, commit. It
/// alone answers resent event ids, and serves batches the planned path gave up on.
extension BatchWriter {

    /// `alongside` runs in the same transaction, after the inserts, when the first request was
    /// appended (not when it was refused or is the resend of one already written): whatever it
    /// writes commits exactly when those events do.
    func writeLocked(
        _ requests: [AppendRequest], alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil
    ) async throws -> [AppendPlanner.Outcome] {
        counters.countLocked()
        let plan = try await client.withLiveConnection { connection in
            try await connection.inTransaction(logger: self.logger) { connection in
                let planner = try await self.lockAndRead(requests, on: connection)
                let plan = planner.plan(requests)
                if !plan.rows.isEmpty {
                    try await self.insert(plan, on: connection)
                    if let alongside, case .appended = plan.outcomes.first { try await alongside(connection) }
                    if let hold = self.configuration.holdTransactionsOpen {
                        try await Task.sleep(for: .milliseconds(Int.random(in: hold)))
                    }
                }
                return plan
            }
        }
        if let last = plan.rows.last {
            cache.replace(with: .init(head: plan.newHead, headHash: last.hash, lastRecordedAt: last.recordedAtMicroseconds, streams: plan.streamUpdates))
        }
        return plan.outcomes
    }

    func lockAndRead(_ requests: [AppendRequest], on connection: PostgresConnection) async throws -> AppendPlanner {
        let streamIDs = Array(Set(requests.flatMap { $0.streams.map(\.streamID.rawValue) }))
        let eventIDs = requests.flatMap { $0.events.map(\.id) }
        var planner = AppendPlanner(head: 0, nowMicroseconds: 0, streams: [:], existing: [:])
        let rows = try await connection.query(
            "SELECT kind, head, now_us, stream_id, version, last_hash, at_position, event_id, event_type, data FROM ledger.lock_for_append(\(streamIDs), \(eventIDs))",
            logger: logger)
        for try await row in rows {
            let (kind, head, now, streamID, version, lastHash, position, eventID, type, data) = try row.decode(
                (Int16, Int64?, Int64?, String?, Int64?, ByteBuffer?, Int64?, UUID?, String?, Data?).self)
            switch kind {
            case 0:
                planner.head = head ?? 0
                planner.nowMicroseconds = now ?? 0
            case 1:
                guard let streamID, let version, let lastHash, let position else { continue }
                planner.streams[StreamID(unchecked: streamID)] = .init(
                    version: version, lastHash: try EventHash(bytes: lastHash.readableBytesView), lastPosition: position)
            default:
                guard let eventID, let streamID, let version, let position, let type, let data else { continue }
                planner.existing[eventID] = .init(streamID: streamID, streamVersion: version, position: position, type: type, data: data)
            }
        }
        return planner
    }

    /// One statement per chunk of rows; the last also records the stream heads and the head and
    /// sends the NOTIFY (delivered at commit).
    func insert(_ plan: AppendPlanner.Plan, on connection: PostgresConnection) async throws {
        var start = 0
        while start < plan.rows.count {
            let end = min(start + configuration.insertChunkSize, plan.rows.count)
            let updates = end == plan.rows.count ? plan.streamUpdates.sorted { $0.key < $1.key } : []
            let columns = EventColumns(rows: plan.rows[start..<end], metadata: plan.metadata[start..<end], streamUpdates: updates)
            let head = plan.rows[end - 1].position
            let headHash = ByteBuffer(bytes: plan.rows[end - 1].hash.bytes)
            let recordedAt = plan.rows[end - 1].recordedAtMicroseconds
            try await connection.query("""
                WITH inserted AS (
                    INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                        data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
                    SELECT p, i, s, v, c, t, sv, d, m, NULLIF(a, ''), NULLIF(o, ''), NULLIF(co, '')::uuid,
                        timestamptz 'epoch' + \(recordedAt) * interval '1 microsecond', ph, h
                    -- Select-list unnest zips the arrays without a tuplestore (see AppendPlannedStatement).
                    FROM (SELECT unnest(\(columns.positions)::bigint[]) AS p, unnest(\(columns.ids)::uuid[]) AS i,
                        unnest(\(columns.streams)::text[]) AS s, unnest(\(columns.versions)::bigint[]) AS v,
                        unnest(\(columns.categories)::text[]) AS c, unnest(\(columns.types)::text[]) AS t,
                        unnest(\(columns.schemaVersions)::int[]) AS sv, unnest(\(columns.data)::bytea[]) AS d,
                        unnest(\(columns.metadata)::bytea[]) AS m, unnest(\(columns.actors)::text[]) AS a,
                        unnest(\(columns.organisations)::text[]) AS o, unnest(\(columns.correlations)::text[]) AS co,
                        unnest(\(columns.previousHashes)::bytea[]) AS ph, unnest(\(columns.hashes)::bytea[]) AS h) AS r
                ), streams AS (
                    INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
                    SELECT * FROM unnest(\(columns.headStreams)::text[], \(columns.headVersions)::bigint[],
                        \(columns.headHashes)::bytea[], \(columns.headPositions)::bigint[])
                    ON CONFLICT (stream_id) DO UPDATE
                        SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, last_position = EXCLUDED.last_position
                ), moved AS (
                    UPDATE ledger.head SET position = \(head), recorded_at_us = \(recordedAt), last_hash = \(headHash)
                )
                SELECT pg_notify('\(unescaped: EventStore.notificationChannel)', \(String(head)))
                """, logger: logger)
            start = end
        }
    }
}
