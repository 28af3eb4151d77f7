import Foundation
import NIOCore
import PostgresNIO

/// A planned batch of exactly one event, sent as one plain statement with one value per column
/// instead of the gate's arrays: the same head check, inserts and notifications as
/// ``AppendWitnessedStatement`` (migrations 010 and 012) for the case a lone writer always sends.
/// A single event's stream head is the event itself (its version, hash and position), so the
/// statement needs no separate stream columns. Without the function call and the `unnest` of
/// twenty one-element arrays, the server spends about a quarter less time on it
/// (docs/performance.md). The commit is proven as for the witnessed call (``CommitWitness``).
struct AppendOneWitnessedStatement: PostgresPreparedStatement {
    /// Named once: the protocol's default, `String(reflecting:)` of the type, is computed anew on every execution.
    static let name = "ledger_append_one_witnessed"

    static let sql = """
        WITH moved AS (
            UPDATE ledger.head SET position = $2::bigint, recorded_at_us = $3::bigint, last_hash = $17::bytea
            WHERE position = $1::bigint AND last_hash IS NOT DISTINCT FROM $16::bytea
                AND NOT EXISTS (SELECT 1 FROM ledger.streams WHERE stream_id = $18::text)
            RETURNING position
        ), inserted AS (
            INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
            SELECT $2::bigint, $4::uuid, $5::text, $6::bigint, $7::text, $8::text, $9::int, $10::bytea, $11::bytea,
                $12::text, $13::text, $14::uuid, timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $15::bytea, $17::bytea
            WHERE EXISTS (SELECT 1 FROM moved)
        ), streams AS (
            INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
            SELECT $5::text, $6::bigint, $17::bytea, $2::bigint
            WHERE EXISTS (SELECT 1 FROM moved)
            ON CONFLICT (stream_id) DO UPDATE
                SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, last_position = EXCLUDED.last_position
        )
        SELECT count(*) > 0 FROM moved
        WHERE pg_notify('ledger_events', $2::bigint::text) IS NOT NULL AND pg_notify($19::text, $20::text) IS NOT NULL
        """

    typealias Row = Bool

    var expectedHead: Int64
    var expectedHeadHash: EventHash?
    var recordedAtMicroseconds: Int64
    var event: RecordedEvent
    var metadata: EventMetadata
    /// Whether the event's stream was planned as absent without having been read.
    var streamAssumedAbsent: Bool
    /// The connection's witness channel and this statement's token on it, set when it is sent.
    var channel = ""
    var token = ""

    /// The one-event form of a plan, when the plan is one event whose stream head is that event
    /// itself (its version, hash and position); nil otherwise.
    init?(
        expectedHead: Int64, expectedHeadHash: EventHash?, recordedAtMicroseconds: Int64, rows: [RecordedEvent], metadata: [EventMetadata],
        streamUpdates: [(key: StreamID, value: AppendPlanner.StreamState)], assumedAbsent: [StreamID]
    ) {
        guard rows.count == 1, metadata.count == 1, streamUpdates.count == 1 else { return nil }
        let event = rows[0]
        let (stream, head) = streamUpdates[0]
        guard stream == event.streamID, head.version == event.streamVersion, head.lastPosition == event.position,
              head.lastHash == event.hash, assumedAbsent.allSatisfy({ $0 == stream }) else { return nil }
        self.expectedHead = expectedHead
        self.expectedHeadHash = expectedHeadHash
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.event = event
        self.metadata = metadata[0]
        streamAssumedAbsent = !assumedAbsent.isEmpty
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 20)
        bindings.append(expectedHead)
        bindings.append(event.position)
        bindings.append(recordedAtMicroseconds)
        bindings.append(event.id)
        bindings.append(event.streamID.rawValue)
        bindings.append(event.streamVersion)
        bindings.append(event.streamID.category)
        bindings.append(event.type)
        bindings.append(Int32(event.schemaVersion))
        bindings.append(ByteBuffer(bytes: event.data))
        bindings.append(ByteBuffer(bytes: event.metadataJSON))
        // As the gate does, an empty actor or organisation is stored as NULL.
        bindings.append(metadata.actor.flatMap { $0.isEmpty ? nil : $0 })
        bindings.append(metadata.organisation.flatMap { $0.isEmpty ? nil : $0 })
        bindings.append(metadata.correlationID)
        bindings.append(ByteBuffer(bytes: event.previousHash.bytes))
        bindings.append(expectedHeadHash.map { ByteBuffer(bytes: $0.bytes) })
        bindings.append(ByteBuffer(bytes: event.hash.bytes))
        bindings.append(streamAssumedAbsent ? event.streamID.rawValue : nil)
        bindings.append(channel)
        bindings.append(token)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}
