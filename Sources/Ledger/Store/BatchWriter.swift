import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Writes one batch of append requests in one transaction, by one of two paths.
///
/// - Planned (one round trip): plan against the cached head and stream states, then
///   ``AppendPlannedStatement`` writes it if the head has not moved; otherwise re-read and re-plan.
/// - Locked (the fallback): lock the head, read the streams and ids involved, plan, insert,
///   commit. It alone answers resent event ids, and serves batches the planned path gave up on.
///
/// Either way the head row's lock serialises position assignment across all processes.
struct BatchWriter: Sendable {
    let client: PostgresClient
    let configuration: EventStoreConfiguration
    let logger: Logger
    let cache = WriterCache()
    let counters = AppendPathCounters()

    /// Above this many rows a batch goes the locked path, which inserts in chunks.
    static let plannedPathRowLimit = 10_000

    /// A batch planned against the cached state, ready for ``commit(_:)``.
    struct PreparedBatch: Sendable {
        var outcomes: [AppendPlanner.Outcome]
        var statement: AppendPlannedStatement
    }

    /// What became of a prepared batch.
    enum CommitResult: Sendable {
        case written([AppendPlanner.Outcome])
        /// Not written by this attempt (the head moved, an id exists, or the database failed);
        /// the batch must go through ``write(_:)``, which finds out and answers correctly.
        case retry
    }

    /// Whether planning these requests needs a read first (it must not overlap batches in flight).
    func needsRead(_ requests: [AppendRequest]) -> Bool {
        guard let cached = cache.snapshot() else { return true }
        return requests.contains { $0.streams.contains { cached.streams[$0.streamID] == nil } }
    }

    /// Plans `requests` as if every batch prepared before it commits, and records that result in
    /// the cache so the next batch can be planned on top of it. nil: only ``write(_:)`` can do it.
    func prepare(_ requests: [AppendRequest]) async throws -> PreparedBatch? {
        let snapshot = try await knownState(for: requests)
        let planner = AppendPlanner(
            head: snapshot.head, nowMicroseconds: max(Self.nowMicroseconds(), snapshot.lastRecordedAt),
            streams: snapshot.streams, existing: [:])
        let plan = planner.plan(requests)
        // Nothing to write means every request was refused; only the locked path may say so for sure.
        guard !plan.rows.isEmpty, plan.rows.count <= Self.plannedPathRowLimit else { return nil }
        let columns = EventColumns(rows: plan.rows[...], metadata: plan.metadata[...], streamUpdates: plan.streamUpdates.sorted { $0.key < $1.key })
        let recordedAt = plan.rows[0].recordedAtMicroseconds
        let holdMilliseconds = configuration.holdTransactionsOpen.map { Int32(Int.random(in: $0)) } ?? 0
        let statement = AppendPlannedStatement(
            expectedHead: snapshot.head, newHead: plan.newHead, recordedAtMicroseconds: recordedAt,
            holdMilliseconds: holdMilliseconds, columns: columns)
        cache.update(head: plan.newHead, lastRecordedAt: recordedAt, streams: plan.streamUpdates, replacing: false)
        return PreparedBatch(outcomes: plan.outcomes, statement: statement)
    }

    /// Sends a prepared batch: one round trip, one transaction, committed when it returns.
    /// Uses `connection` when given, else one from the pool.
    func commit(_ batch: PreparedBatch, on connection: PostgresConnection? = nil) async -> CommitResult {
        do {
            var written = false
            let rows = if let connection {
                try await connection.execute(batch.statement, logger: logger)
            } else {
                try await client.execute(batch.statement, logger: logger)
            }
            for try await accepted in rows { written = accepted }
            if written {
                counters.countPlanned()
                return .written(batch.outcomes)
            }
        } catch {
            logger.debug("planned append not written", metadata: ["error": "\(PostgresErrorText.safe(error))"])
        }
        cache.clear()
        return .retry
    }

    /// Writes a batch on its own, whatever it takes: planned on freshly read state, or under the
    /// head lock (which alone answers resent ids and refuses requests for certain).
    func write(_ requests: [AppendRequest]) async throws -> [AppendPlanner.Outcome] {
        do {
            if !requests.isEmpty, let prepared = try await prepare(requests), case .written(let outcomes) = await commit(prepared) {
                return outcomes
            }
            return try await writeLocked(requests)
        } catch let error as LedgerError {
            cache.clear()
            throw error
        } catch {
            cache.clear()
            throw LedgerError(.database, "the append could not be written: \(PostgresErrorText.safe(error))", underlying: error)
        }
    }

    /// Forgets what the writer knew; the next batch reads afresh.
    func invalidate() { cache.clear() }

    /// The cached state, extended by one consistent read when it lacks the head or a stream.
    private func knownState(for requests: [AppendRequest]) async throws -> WriterCache.Snapshot {
        let wanted = Set(requests.flatMap { $0.streams.map(\.streamID) })
        let cached = cache.snapshot()
        let missing = wanted.filter { cached?.streams[$0] == nil }
        if let cached, missing.isEmpty { return cached }

        // Read every stream the batch names, not only the missing ones: if the head moved, the
        // cached states are stale, and all planned states must come from this one snapshot.
        let names = wanted.map(\.rawValue)
        var head: Int64 = 0
        var lastRecordedAt: Int64 = 0
        var found: [StreamID: AppendPlanner.StreamState] = [:]
        // One statement, one snapshot: the streams are read as of exactly this head.
        let rows = try await client.query("""
            SELECT h.position, h.recorded_at_us, s.stream_id, s.version, s.last_hash, s.last_position
            FROM ledger.head h LEFT JOIN ledger.streams s ON s.stream_id = ANY(\(names)::text[])
            """, logger: logger)
        for try await (position, recordedAt, stream, version, hash, last) in rows.decode((Int64, Int64, String?, Int64?, ByteBuffer?, Int64?).self) {
            head = position
            lastRecordedAt = recordedAt
            if let stream, let version, let hash, let last {
                found[StreamID(unchecked: stream)] = .init(version: version, lastHash: try EventHash(bytes: hash.readableBytesView), lastPosition: last)
            }
        }
        for stream in wanted where found[stream] == nil { found[stream] = .absent }
        cache.update(head: head, lastRecordedAt: lastRecordedAt, streams: found, replacing: cached?.head != head)
        return cache.snapshot()!
    }

    static func nowMicroseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    // MARK: locked path

    private func writeLocked(_ requests: [AppendRequest]) async throws -> [AppendPlanner.Outcome] {
        counters.countLocked()
        let plan = try await client.withTransaction(logger: logger) { connection in
            let planner = try await lockAndRead(requests, on: connection)
            let plan = planner.plan(requests)
            if !plan.rows.isEmpty {
                try await insert(plan, on: connection)
                if let hold = configuration.holdTransactionsOpen {
                    try await Task.sleep(for: .milliseconds(Int.random(in: hold)))
                }
            }
            return plan
        }
        if let last = plan.rows.last {
            cache.update(head: plan.newHead, lastRecordedAt: last.recordedAtMicroseconds, streams: plan.streamUpdates, replacing: true)
        }
        return plan.outcomes
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

    /// One statement per chunk of rows; the last also records the stream heads and the head and
    /// sends the NOTIFY (delivered at commit).
    private func insert(_ plan: AppendPlanner.Plan, on connection: PostgresConnection) async throws {
        var start = 0
        while start < plan.rows.count {
            let end = min(start + configuration.insertChunkSize, plan.rows.count)
            let updates = end == plan.rows.count ? plan.streamUpdates.sorted { $0.key < $1.key } : []
            let columns = EventColumns(rows: plan.rows[start..<end], metadata: plan.metadata[start..<end], streamUpdates: updates)
            let head = plan.rows[end - 1].position
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
                    UPDATE ledger.head SET position = \(head), recorded_at_us = \(recordedAt)
                )
                SELECT pg_notify('\(unescaped: EventStore.notificationChannel)', \(String(head)))
                """, logger: logger)
            start = end
        }
    }
}
