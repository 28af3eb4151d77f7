import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Writes one batch of append requests in one transaction.
///
/// The transaction first locks the head row (serialising position assignment across all
/// processes), reads the state of the streams and ids involved, lets ``AppendPlanner`` decide,
/// inserts the rows, moves the head and notifies listeners; the commit makes it durable.
struct BatchWriter: Sendable {
    let client: PostgresClient
    let configuration: EventStoreConfiguration
    let logger: Logger

    func write(_ requests: [AppendRequest]) async throws -> [AppendPlanner.Outcome] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let planner = try await lockAndRead(requests, on: connection)
                let plan = planner.plan(requests)
                if !plan.rows.isEmpty {
                    try await insert(plan, on: connection)
                    try await configuration.beforeCommit?()
                }
                return plan.outcomes
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.database, "the append could not be written: \(PostgresErrorText.safe(error))", underlying: error)
        }
    }

    private func lockAndRead(_ requests: [AppendRequest], on connection: PostgresConnection) async throws -> AppendPlanner {
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

    private func insert(_ plan: AppendPlanner.Plan, on connection: PostgresConnection) async throws {
        var start = 0
        while start < plan.rows.count {
            let end = min(start + configuration.insertChunkSize, plan.rows.count)
            try await insertEvents(plan.rows[start..<end], metadata: plan.metadata[start..<end], on: connection)
            start = end
        }
        let updates = plan.streamUpdates.sorted { $0.key < $1.key }
        let streamIDs = updates.map(\.key.rawValue)
        let versions = updates.map(\.value.version)
        let hashes = updates.map { ByteBuffer(bytes: $0.value.lastHash.bytes) }
        let positions = updates.map(\.value.lastPosition)
        let head = plan.newHead
        try await connection.query("""
            WITH streams AS (
                INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
                SELECT * FROM unnest(\(streamIDs)::text[], \(versions)::bigint[], \(hashes)::bytea[], \(positions)::bigint[])
                ON CONFLICT (stream_id) DO UPDATE
                    SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, last_position = EXCLUDED.last_position
            ), moved AS (
                UPDATE ledger.head SET position = \(head)
            )
            SELECT pg_notify('\(unescaped: EventStore.notificationChannel)', \(String(head)))
            """, logger: logger)
    }

    private func insertEvents(
        _ rows: ArraySlice<RecordedEvent>, metadata: ArraySlice<EventMetadata>, on connection: PostgresConnection
    ) async throws {
        let recordedAt = rows.first?.recordedAtMicroseconds ?? 0
        let positions = rows.map(\.position)
        let ids = rows.map(\.id)
        let streams = rows.map(\.streamID.rawValue)
        let versions = rows.map(\.streamVersion)
        let categories = rows.map(\.streamID.category)
        let types = rows.map(\.type)
        let schemaVersions = rows.map { Int32($0.schemaVersion) }
        let data = rows.map { ByteBuffer(bytes: $0.data) }
        let metadataJSON = rows.map { ByteBuffer(bytes: $0.metadataJSON) }
        let actors = metadata.map { $0.actor ?? "" }
        let organisations = metadata.map { $0.organisation ?? "" }
        let correlations = metadata.map { $0.correlationID?.uuidString ?? "" }
        let previous = rows.map { ByteBuffer(bytes: $0.previousHash.bytes) }
        let hashes = rows.map { ByteBuffer(bytes: $0.hash.bytes) }
        try await connection.query("""
            INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
            SELECT p, i, s, v, c, t, sv, d, m, NULLIF(a, ''), NULLIF(o, ''), NULLIF(co, '')::uuid,
                timestamptz 'epoch' + \(recordedAt) * interval '1 microsecond', ph, h
            FROM unnest(\(positions)::bigint[], \(ids)::uuid[], \(streams)::text[], \(versions)::bigint[], \(categories)::text[],
                \(types)::text[], \(schemaVersions)::int[], \(data)::bytea[], \(metadataJSON)::bytea[], \(actors)::text[],
                \(organisations)::text[], \(correlations)::text[], \(previous)::bytea[], \(hashes)::bytea[])
                AS r(p, i, s, v, c, t, sv, d, m, a, o, co, ph, h)
            """, logger: logger)
    }
}
