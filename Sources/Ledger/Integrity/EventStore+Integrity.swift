import Foundation
import NIOCore
import PostgresNIO

/// What `ledger verify` found.
public struct VerificationReport: Sendable {
    public var eventsChecked: Int64
    public var sealsChecked: Int
    public var lastPosition: Int64
    public var problems: [IntegrityProblem]

    /// The first bad position, if any: what an operator looks at first.
    public var firstProblem: IntegrityProblem? { IntegrityProblem.first(of: problems) }
    public var isClean: Bool { problems.isEmpty }
}

extension Seal {
    /// The INSERT that records this seal in `ledger.seals` (sealing, and importing archives).
    package var insertQuery: PostgresQuery {
        """
        INSERT INTO ledger.seals (seal_number, from_position, to_position, event_count, digest, previous_digest)
        VALUES (\(number), \(fromPosition), \(toPosition), \(eventCount),
                \(ByteBuffer(bytes: digest.bytes)), \(ByteBuffer(bytes: previousDigest.bytes)))
        """
    }
}

extension EventStore {
    /// Seals everything appended since the last seal, in seals of at most `maximumEvents`
    /// positions each. Returns the new seals (none when nothing new was appended).
    ///
    /// - Throws: ``LedgerError`` when the range to seal has a hole: a log that no longer adds up
    ///   is never sealed; run verify.
    @discardableResult
    public func seal(maximumEvents: Int64 = 100_000) async throws -> [Seal] {
        var created: [Seal] = []
        while let seal = try await sealNextRange(maximumEvents: maximumEvents) {
            created.append(seal)
        }
        return created
    }

    /// Every seal, oldest first.
    public func seals() async throws -> [Seal] {
        var seals: [Seal] = []
        let rows = try await client.liveQuery(
            "SELECT seal_number, from_position, to_position, event_count, digest, previous_digest FROM ledger.seals ORDER BY seal_number",
            logger: logger)
        for (number, from, to, count, digest, previous) in try rows.decode((Int64, Int64, Int64, Int64, ByteBuffer, ByteBuffer).self) {
            seals.append(Seal(
                number: number, fromPosition: from, toPosition: to, eventCount: count,
                digest: try EventHash(bytes: digest.readableBytesView), previousDigest: try EventHash(bytes: previous.readableBytesView)))
        }
        return seals
    }

    private func sealNextRange(maximumEvents: Int64) async throws -> Seal? {
        let logger = logger
        return try await client.withLiveConnection { connection in try await connection.inTransaction(logger: logger) { connection -> Seal? in
            try await connection.query("SELECT pg_advisory_xact_lock(7342002)", logger: logger)
            var last: (number: Int64, to: Int64, digest: EventHash) = (0, 0, .zero)
            for try await (number, to, digest) in try await connection.query(
                "SELECT seal_number, to_position, digest FROM ledger.seals ORDER BY seal_number DESC LIMIT 1", logger: logger
            ).decode((Int64, Int64, ByteBuffer).self) {
                last = (number, to, try EventHash(bytes: digest.readableBytesView))
            }
            var head: Int64 = 0
            for try await position in try await connection.query("SELECT position FROM ledger.head", logger: logger).decode(Int64.self) {
                head = position
            }
            guard head > last.to else { return nil }
            let from = last.to + 1
            let to = min(head, last.to + maximumEvents)
            var digest = SealDigest(previous: last.digest, fromPosition: from, toPosition: to)
            var expected = from
            for try await (position, hash) in try await connection.query(
                "SELECT position, hash FROM ledger.events WHERE position BETWEEN \(from) AND \(to) ORDER BY position", logger: logger
            ).decode((Int64, ByteBuffer).self) {
                guard position == expected else {
                    throw LedgerError(.database, "refusing to seal: position \(expected) is missing from the log; run `ledger verify`")
                }
                digest.add(try EventHash(bytes: hash.readableBytesView))
                expected += 1
            }
            guard expected == to + 1 else {
                throw LedgerError(.database, "refusing to seal: position \(expected) is missing from the log; run `ledger verify`")
            }
            let seal = Seal(
                number: last.number + 1, fromPosition: from, toPosition: to, eventCount: digest.eventCount,
                digest: digest.finalize(), previousDigest: last.digest)
            try await connection.query(seal.insertQuery, logger: logger)
            return seal
        } }
    }

    /// Re-checks the whole log: every hash chain, every seal, the head counter and the stream
    /// heads. Events removed by a pruning are checked through the stubs it kept (position,
    /// stream, version, hashes), and each pruning's recorded digest must match its stubs.
    /// `progress` is called after each batch with the number of events checked so far.
    public func verify(batchSize: Int = 5_000, progress: (@Sendable (Int64) -> Void)? = nil) async throws -> VerificationReport {
        var verifier = ChainVerifier(seals: try await seals())
        var after: Int64 = 0
        while true {
            // Not bounded by the head: rows forged beyond it must be seen too.
            let entries = try await fetchEntries(after: after, limit: batchSize)
            for (event, pruned) in entries {
                if pruned { verifier.checkPruned(event) } else { verifier.check(event) }
            }
            guard let last = entries.last else { break }
            after = last.event.position
            progress?(verifier.eventsChecked)
        }
        var streamHeads: [String: ChainVerifier.StreamHead] = [:]
        for (stream, version, hash, position) in try await client.liveQuery(
            "SELECT stream_id, version, last_hash, last_position FROM ledger.streams", logger: logger
        ).decode((String, Int64, ByteBuffer, Int64).self) {
            streamHeads[stream] = .init(version: version, hash: try EventHash(bytes: hash.readableBytesView), position: position)
        }
        verifier.finish(headPosition: try await headPosition(), streamHeads: streamHeads)
        var problems = verifier.problems
        problems += try await pruningProblems()
        let report = VerificationReport(
            eventsChecked: verifier.eventsChecked, sealsChecked: verifier.sealsChecked,
            lastPosition: verifier.lastPosition, problems: problems)
        _ = try await client.liveQuery(
            """
            INSERT INTO ledger.verifications (ok, events_checked, seals_checked, last_position, first_bad_position)
            VALUES (\(report.isClean), \(report.eventsChecked), \(report.sealsChecked), \(report.lastPosition), \(report.firstProblem?.position))
            """, logger: logger)
        return report
    }

    /// The next events and pruning stubs after `position`, merged in position order.
    func fetchEntries(after position: Int64, limit: Int) async throws -> [(event: RecordedEvent, pruned: Bool)] {
        var entries: [(event: RecordedEvent, pruned: Bool)] = []
        let rows = try await client.liveQuery("""
            SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                recorded_at, prev_hash, hash, false FROM ledger.events WHERE position > \(position)
            UNION ALL
            SELECT position, '00000000-0000-0000-0000-000000000000'::uuid, stream_id, stream_version, '', 1, ''::bytea, ''::bytea,
                'epoch'::timestamptz, prev_hash, hash, true FROM ledger.pruned_events WHERE position > \(position)
            ORDER BY 1 LIMIT \(limit)
            """, logger: logger)
        for row in rows {
            let (position, id, stream, version, type, schema, data, metadata, recordedAt, previous, hash, pruned) = try row.decode(
                (Int64, UUID, String, Int64, String, Int32, ByteBuffer, ByteBuffer, PostgresMicroseconds, ByteBuffer, ByteBuffer, Bool).self)
            entries.append((try Self.makeEvent(
                position: position, id: id, stream: stream, version: version, type: type, schema: schema, data: data,
                metadata: metadata, recordedAt: recordedAt, previous: previous, hash: hash), pruned))
        }
        return entries
    }

    /// Each pruning's count and digest against the stubs it kept.
    private func pruningProblems() async throws -> [IntegrityProblem] {
        var problems: [IntegrityProblem] = []
        let rows = try await client.liveQuery("""
            SELECT p.pruning_number, p.from_position, p.event_count, p.digest, count(s.position),
                   sha256(coalesce(string_agg(s.hash, ''::bytea ORDER BY s.position), ''::bytea))
            FROM ledger.prunings p LEFT JOIN ledger.pruned_events s ON s.pruning_number = p.pruning_number
            GROUP BY p.pruning_number ORDER BY p.pruning_number
            """, logger: logger)
        for (number, from, recordedCount, recorded, count, digest) in try rows.decode((Int64, Int64, Int64, ByteBuffer, Int64, ByteBuffer).self) {
            if recordedCount != count || recorded != digest {
                problems.append(IntegrityProblem(
                    kind: .sealMismatch, position: from, streamID: nil,
                    detail: "pruning \(number) recorded \(recordedCount) events and a digest its kept stubs (\(count)) no longer match"))
            }
        }
        return problems
    }
}
