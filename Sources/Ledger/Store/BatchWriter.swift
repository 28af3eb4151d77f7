import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Writes one batch of append requests in one transaction, by one of two paths.
///
/// - Planned: plan against the cached head and stream states, then write it if the head has not
///   moved; otherwise re-read and re-plan. A small batch is one round trip
///   (``AppendWitnessedStatement``, or ``AppendOneWitnessedStatement`` for a lone event; answered once
///   its commit is proven); a large one moves the head
///   and streams by the gate (``AppendPlannedStatement``) with no rows, then streams its rows by
///   `COPY` in the same transaction, so the server inserts while the client is still encoding.
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

    /// From this many rows on, a planned batch sends its rows by COPY rather than as bound arrays.
    static let copyPathRowThreshold = 256

    /// A batch planned against the cached state, ready for ``commit(_:on:)``.
    struct PreparedBatch: Sendable {
        var outcomes: [AppendPlanner.Outcome]
        var write: Write
    }

    /// How a prepared batch reaches the database.
    enum Write: Sendable {
        /// One statement that moves the head and writes every row.
        case statement(AppendPlannedStatement)
        /// The same for a batch of one event, with a value per column instead of arrays.
        case one(AppendOneWitnessedStatement)
        /// `gate` moves the head and the streams (it carries no rows), then COPY writes `rows`,
        /// then COMMIT; `holdMilliseconds` is the test-only delay before the commit.
        case copy(gate: AppendPlannedStatement, rows: [RecordedEvent], metadata: [EventMetadata], holdMilliseconds: Int32)
    }

    /// What became of a prepared batch.
    enum CommitResult: Sendable {
        case written([AppendPlanner.Outcome])
        /// Not written by this attempt (the head moved, an id exists, or the database failed);
        /// the batch must go through ``write(_:)``, which finds out and answers correctly.
        case retry
    }

    /// The streams a batch names, each once.
    static func streams(of requests: [AppendRequest]) -> Set<StreamID> {
        Set(requests.lazy.flatMap { $0.streams.lazy.map(\.streamID) })
    }

    /// Streams the cache does not know may be planned as absent when every append to them expects
    /// no stream or any version: that is what creating a stream looks like, and a wrong guess
    /// costs one refused statement (the statement checks it), whereas reading first costs a
    /// round trip every time. An exact version says the stream exists, so those are read.
    private static func mayAssumeAbsent(_ missing: [StreamID], in requests: [AppendRequest]) -> Bool {
        if missing.isEmpty { return true }
        let unknown = Set(missing)
        return requests.allSatisfy { request in
            request.streams.allSatisfy { append in
                if case .exact = append.expectedVersion { return !unknown.contains(append.streamID) }
                return true
            }
        }
    }

    /// Plans `requests` as if every batch prepared before it commits, and records that result in
    /// the cache so the next batch can be planned on top of it. nil: only ``write(_:)`` can do it.
    func prepare(_ requests: [AppendRequest]) async throws -> PreparedBatch? {
        let known = try await knownState(for: requests)
        let planner = AppendPlanner(
            head: known.snapshot.head, nowMicroseconds: max(Self.nowMicroseconds(), known.snapshot.lastRecordedAt),
            streams: known.snapshot.streams, existing: [:])
        let plan = planner.plan(requests)
        // Nothing to write means every request was refused; only the locked path may say so for sure.
        guard !plan.rows.isEmpty else { return nil }
        let streamUpdates = plan.streamUpdates.sorted { $0.key < $1.key }
        let recordedAt = plan.rows[0].recordedAtMicroseconds
        let holdMilliseconds = configuration.holdTransactionsOpen.map { Int32(Int.random(in: $0)) } ?? 0
        let byCopy = plan.rows.count >= Self.copyPathRowThreshold
        let newHeadHash = plan.rows[plan.rows.count - 1].hash
        cache.advance(
            from: (known.snapshot.head, known.snapshot.headHash),
            to: .init(head: plan.newHead, headHash: newHeadHash, lastRecordedAt: recordedAt, streams: plan.streamUpdates))
        // A lone event (what a single writer always sends) goes as one value per column.
        if !byCopy, holdMilliseconds == 0, let one = AppendOneWitnessedStatement(
            expectedHead: known.snapshot.head, expectedHeadHash: known.snapshot.headHash, recordedAtMicroseconds: recordedAt,
            rows: plan.rows, metadata: plan.metadata, streamUpdates: streamUpdates, assumedAbsent: known.assumedAbsent) {
            return PreparedBatch(outcomes: plan.outcomes, write: .one(one))
        }
        let statement = AppendPlannedStatement(
            expectedHead: known.snapshot.head, expectedHeadHash: known.snapshot.headHash,
            newHead: plan.newHead, newHeadHash: newHeadHash, recordedAtMicroseconds: recordedAt,
            holdMilliseconds: byCopy ? 0 : holdMilliseconds, assumedAbsent: known.assumedAbsent.map(\.rawValue),
            columns: byCopy
                ? EventColumns(rows: [], metadata: [], streamUpdates: streamUpdates)
                : EventColumns(rows: plan.rows[...], metadata: plan.metadata[...], streamUpdates: streamUpdates))
        let write: Write = byCopy
            ? .copy(gate: statement, rows: plan.rows, metadata: plan.metadata, holdMilliseconds: holdMilliseconds)
            : .statement(statement)
        return PreparedBatch(outcomes: plan.outcomes, write: write)
    }

    /// Sends a prepared batch in one transaction, committed when it returns (one round trip for a
    /// small batch, whose commit its connection's ``CommitWitness`` proves; BEGIN, gate, COPY and
    /// COMMIT for a large one).
    /// Uses `connection` when given, else one from the pool. A request on a given connection that
    /// closes just as it is sent may never be answered (see ``ClosingConnections``): the caller
    /// must watch that connection's close, as the group commit does.
    func commit(_ batch: PreparedBatch, on connection: PostgresConnection? = nil) async -> CommitResult {
        do {
            let written: Bool
            if let connection {
                guard !connection.isClosed else { throw ConnectionClosed() }
                written = try await send(batch.write, on: connection)
            } else {
                written = try await client.withLiveConnection { try await self.send(batch.write, on: $0) }
            }
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

    /// Sends one prepared write; false when the head had moved and nothing was written.
    private func send(_ write: Write, on connection: PostgresConnection) async throws -> Bool {
        switch write {
        case .statement(let statement):
            // One statement in an implicit transaction: its rows end at CommandComplete, but it
            // commits only afterwards, at Sync, and a connection dropped in between would lose a
            // write answered as done. So the rows say only whether the head moved; the commit is
            // proven by the token the statement notifies once it committed (``CommitWitness``).
            let witness = CommitWitnesses.shared.witness(for: connection)
            let witnessed = AppendWitnessedStatement(statement: statement, channel: witness.channel, token: witness.nextToken())
            return try await sendWitnessed(witnessed, token: witnessed.token, witness: witness, on: connection)
        case .one(var one):
            let witness = CommitWitnesses.shared.witness(for: connection)
            one.channel = witness.channel
            one.token = witness.nextToken()
            return try await sendWitnessed(one, token: one.token, witness: witness, on: connection)
        case .copy(let gate, let rows, let metadata, let hold):
            return try await copy(gate: gate, rows: rows, metadata: metadata, holdMilliseconds: hold, on: connection)
        }
    }

    /// Runs a statement that notifies `token` on the witness's channel once it committed (when it
    /// moved the head); true once that commit is proven, false when the head had moved.
    private func sendWitnessed<Statement: PostgresPreparedStatement>(
        _ statement: Statement, token: String, witness: CommitWitness, on connection: PostgresConnection
    ) async throws -> Bool where Statement.Row == Bool {
        var accepted = false
        for try await row in try await connection.execute(statement, logger: logger) { accepted = row }
        guard accepted else { return false }
        if try await witness.confirm(token, on: connection, logger: logger) { counters.countLateWitness() }
        return true
    }

    /// Writes a batch on its own, whatever it takes: planned on freshly read state, or under the
    /// head lock (which alone answers resent ids and refuses requests for certain).
    func write(_ requests: [AppendRequest]) async throws -> [AppendPlanner.Outcome] {
        do {
            if !requests.isEmpty, let prepared = try await prepare(requests), case .written(var outcomes) = await commit(prepared) {
                // The plan knew versions, not event ids: a request refused for a stale version may
                // be the resend of one already written, which only the locked path can tell.
                let unsure = outcomes.indices.filter { Self.isConflict(outcomes[$0]) }
                if !unsure.isEmpty {
                    for (index, outcome) in zip(unsure, try await writeLocked(unsure.map { requests[$0] })) { outcomes[index] = outcome }
                }
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

    /// Whether a planned request was refused for a version conflict (which a resend also looks like).
    static func isConflict(_ outcome: AppendPlanner.Outcome) -> Bool {
        if case .rejected(let error) = outcome { return error is AppendConflict }
        return false
    }

    /// One transaction: the gate moves the head (or finds it moved: nothing is written, false),
    /// then COPY streams the rows in chunks (binary format, ``CopyBinaryEncoder``), so the server
    /// inserts one while the next is encoded.
    private func copy(
        gate: AppendPlannedStatement, rows: [RecordedEvent], metadata: [EventMetadata], holdMilliseconds: Int32, on connection: PostgresConnection
    ) async throws -> Bool {
        struct HeadMoved: Error {}
        do {
            try await connection.inTransaction(logger: logger) { connection in
                var moved = false
                for try await accepted in try await connection.execute(gate, logger: logger) { moved = accepted }
                guard moved else { throw HeadMoved() }
                try await connection.copyFrom(table: CopyTextEncoder.table, columns: CopyBinaryEncoder.columnsSelectingBinary, logger: logger) { writer in
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(Self.copyChunkBytes + 4_096)
                    CopyBinaryEncoder.writeHeader(to: &buffer)
                    for (row, entry) in zip(rows, metadata) {
                        CopyBinaryEncoder.append(row, metadata: entry, to: &buffer)
                        if buffer.readableBytes >= Self.copyChunkBytes {
                            try await writer.write(buffer)
                            buffer = ByteBuffer()
                            buffer.reserveCapacity(Self.copyChunkBytes + 4_096)
                        }
                    }
                    CopyBinaryEncoder.writeTrailer(to: &buffer)
                    try await writer.write(buffer)
                }
                if holdMilliseconds > 0 { try await Task.sleep(for: .milliseconds(Int(holdMilliseconds))) }
            }
            return true
        } catch is HeadMoved {
            return false
        }
    }

    /// Small enough that the server starts inserting early, large enough to keep messages few.
    private static let copyChunkBytes = 64 * 1_024

    /// Forgets what the writer knew; the next batch reads afresh.
    func invalidate() { cache.clear() }

    /// What a batch is planned on: the head and the states of the streams it names.
    private struct KnownState {
        var snapshot: WriterCache.Snapshot
        /// Streams planned as absent without a read; the statement refuses the batch if one exists.
        var assumedAbsent: [StreamID]
    }

    /// The cached state, with unknown new streams assumed absent (see ``mayAssumeAbsent(_:in:)``),
    /// or else one consistent read of the head and every stream the batch names.
    private func knownState(for requests: [AppendRequest]) async throws -> KnownState {
        let wanted = Self.streams(of: requests)
        let cached = cache.lookup(wanted)
        if let (snapshot, missing) = cached, Self.mayAssumeAbsent(missing, in: requests) {
            var assumed = snapshot
            for stream in missing { assumed.streams[stream] = .absent }
            return KnownState(snapshot: assumed, assumedAbsent: missing)
        }

        // Read every stream the batch names, not only the missing ones: if the head moved, the
        // cached states are stale, and all planned states must come from this one snapshot.
        let names = wanted.map(\.rawValue)
        // One statement, one snapshot: the streams are read as of exactly this head.
        var read = try await client.withLiveConnection { connection in
            var snapshot = WriterCache.Snapshot(head: 0, headHash: nil, lastRecordedAt: 0, streams: [:])
            let rows = try await connection.query("""
                SELECT h.position, h.last_hash, h.recorded_at_us, s.stream_id, s.version, s.last_hash, s.last_position
                FROM ledger.head h LEFT JOIN ledger.streams s ON s.stream_id = ANY(\(names)::text[])
                """, logger: self.logger)
            for try await (position, headHash, recordedAt, stream, version, hash, last)
                in rows.decode((Int64, ByteBuffer?, Int64, String?, Int64?, ByteBuffer?, Int64?).self) {
                snapshot.head = position
                snapshot.headHash = try headHash.map { try EventHash(bytes: $0.readableBytesView) }
                snapshot.lastRecordedAt = recordedAt
                if let stream, let version, let hash, let last {
                    snapshot.streams[StreamID(unchecked: stream)] = .init(
                        version: version, lastHash: try EventHash(bytes: hash.readableBytesView), lastPosition: last)
                }
            }
            return snapshot
        }
        for stream in wanted where read.streams[stream] == nil { read.streams[stream] = .absent }
        cache.record(read: read)
        return KnownState(snapshot: read, assumedAbsent: [])
    }

    static func nowMicroseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
    }
}
