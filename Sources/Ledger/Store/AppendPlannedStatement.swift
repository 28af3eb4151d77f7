import NIOCore
import PostgresNIO

/// The one-round-trip append, as a prepared statement (parsed and planned once per connection).
///
/// The writer planned the batch — versions, positions, hashes — from the head and stream states
/// it last saw. The statement moves the head only if it is still where the plan assumed: the
/// same position and the same hash of the event there (a writer that waited for the row lock
/// re-checks against the head the other writer committed). The hash tells apart two histories
/// that reach one position: a plan made on top of a batch that was prepared but never committed
/// must not land after another batch of the same size took its place. Every insert is gated on
/// that move: either the whole plan is written, or nothing is and the answer is `false`, so the
/// writer re-reads and re-plans. Streams the writer had not seen and planned as new
/// (`assumedAbsent`) must not exist either: the head check makes the statement's snapshot the
/// one the plan assumed, so that read is exact. An event id that already exists fails the
/// unique index and rolls everything back; the writer then takes the locked path, which answers
/// retries with their original result.
/// Holding the head row's lock until commit keeps positions gapless and visible in order.
struct AppendPlannedStatement: PostgresPreparedStatement {
    static let sql = """
        WITH moved AS (
            UPDATE ledger.head SET position = $2, recorded_at_us = $3, last_hash = $25
            WHERE position = $1 AND last_hash IS NOT DISTINCT FROM $24::bytea
                AND NOT EXISTS (SELECT 1 FROM ledger.streams WHERE stream_id = ANY($23::text[]))
            RETURNING position
        ), inserted AS (
            INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
            SELECT r.p, r.i, r.s, r.v, r.c, r.t, r.sv, r.d, r.m, NULLIF(r.a, ''), NULLIF(r.o, ''), NULLIF(r.co, '')::uuid,
                timestamptz 'epoch' + $3 * interval '1 microsecond', r.ph, r.h
            -- unnest in the select list zips the arrays row by row (ProjectSet); in FROM it would
            -- first copy every row into a tuplestore, a tenth of the server's time for a bulk append.
            FROM (SELECT unnest($5::bigint[]) AS p, unnest($6::uuid[]) AS i, unnest($7::text[]) AS s, unnest($8::bigint[]) AS v,
                    unnest($9::text[]) AS c, unnest($10::text[]) AS t, unnest($11::int[]) AS sv, unnest($12::bytea[]) AS d,
                    unnest($13::bytea[]) AS m, unnest($14::text[]) AS a, unnest($15::text[]) AS o, unnest($16::text[]) AS co,
                    unnest($17::bytea[]) AS ph, unnest($18::bytea[]) AS h) AS r
            WHERE EXISTS (SELECT 1 FROM moved)
        ), streams AS (
            INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
            SELECT * FROM unnest($19::text[], $20::bigint[], $21::bytea[], $22::bigint[])
            WHERE EXISTS (SELECT 1 FROM moved)
            ON CONFLICT (stream_id) DO UPDATE
                SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, last_position = EXCLUDED.last_position
        ), held AS (
            SELECT pg_sleep($4 / 1000.0) FROM moved WHERE $4 > 0
        )
        SELECT count(*) > 0 FROM moved
        WHERE pg_notify('ledger_events', $2::text) IS NOT NULL AND (SELECT count(*) FROM held) >= 0
        """

    typealias Row = Bool

    var expectedHead: Int64
    /// The hash of the event at `expectedHead` (nil for an empty log, or one migrated before the head kept it).
    var expectedHeadHash: EventHash?
    var newHead: Int64
    /// The hash of the batch's last event, which the head records.
    var newHeadHash: EventHash
    var recordedAtMicroseconds: Int64
    /// Test-only: keep the transaction open this long before it commits.
    var holdMilliseconds: Int32
    /// Streams planned as absent without having been read.
    var assumedAbsent: [String]
    var columns: EventColumns

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 25)
        bindings.append(expectedHead)
        bindings.append(newHead)
        bindings.append(recordedAtMicroseconds)
        bindings.append(holdMilliseconds)
        bindings.append(columns.positions)
        bindings.append(columns.ids)
        bindings.append(columns.streams)
        bindings.append(columns.versions)
        bindings.append(columns.categories)
        bindings.append(columns.types)
        bindings.append(columns.schemaVersions)
        bindings.append(columns.data)
        bindings.append(columns.metadata)
        bindings.append(columns.actors)
        bindings.append(columns.organisations)
        bindings.append(columns.correlations)
        bindings.append(columns.previousHashes)
        bindings.append(columns.hashes)
        bindings.append(columns.headStreams)
        bindings.append(columns.headVersions)
        bindings.append(columns.headHashes)
        bindings.append(columns.headPositions)
        bindings.append(assumedAbsent)
        bindings.append(expectedHeadHash.map { ByteBuffer(bytes: $0.bytes) })
        bindings.append(ByteBuffer(bytes: newHeadHash.bytes))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool {
        try row.decode(Bool.self)
    }
}
