import Foundation
import LedgerTestSupport
import PostgresNIO
import Testing
@testable import Ledger

/// The direct binary row reader gives exactly what the generic tuple decoding gives.
@Suite struct RecordedEventRowTests {
    @Test func binaryRowsReadTheSameEventsAsTheGenericDecoder() async throws {
        try await TestDatabase.withDatabase { db in
            // More streams than the reader keeps shared, so that it also forgets and remakes some.
            for index in 0..<40 {
                let json = index % 3 == 0 ? #"{"text":"é 🚀 \"q\"","n":\#(index)}"# : #"{"n":\#(index)}"#
                _ = try await db.store.append(to: Fixture.stream("deployment-\(index * 7 % 13)"), events: [Fixture.event("Type\(index % 5)", json)])
            }
            let fast = try await db.store.readAll(after: 0, limit: 1_000).events
            #expect(fast.count == 40)
            var generic: [RecordedEvent] = []
            var strings = RowStrings()
            let rows = try await db.client.query(
                """
                SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                    recorded_at, prev_hash, hash FROM ledger.events ORDER BY position
                """, logger: TestDatabase.logger)
            for try await row in rows {
                #expect(RecordedEvent(binaryRow: row, strings: &strings) != nil)
                let (position, id, stream, version, type, schema, data, metadata, recordedAt, previous, hash) = try row.decode(
                    (Int64, UUID, String, Int64, String, Int32, ByteBuffer, ByteBuffer, PostgresMicroseconds, ByteBuffer, ByteBuffer).self)
                generic.append(try EventStore.makeEvent(
                    position: position, id: id, stream: stream, version: version, type: type, schema: schema, data: data,
                    metadata: metadata, recordedAt: recordedAt, previous: previous, hash: hash))
            }
            #expect(fast == generic)
            // A row of other columns is not taken for an event.
            for try await row in try await db.client.query("SELECT 1::int8, 'x'::text", logger: TestDatabase.logger) {
                #expect(RecordedEvent(binaryRow: row, strings: &strings) == nil)
            }
        }
    }
}
