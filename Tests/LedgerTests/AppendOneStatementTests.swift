import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// A lone event goes by its own statement (one value per column) rather than the gate's arrays:
/// it must store exactly what the gate stores and refuse exactly what the gate refuses.
@Suite struct AppendOneStatementTests {
    /// The stored columns an event's hash and its audit filters depend on, as text.
    private static func storedColumns(_ db: TestContext, streams: [String]) async throws -> [String] {
        let rows = try await db.client.query("""
            SELECT stream_id, category, event_type, schema_version, encode(data, 'escape'), coalesce(actor, '<null>'),
                coalesce(organisation, '<null>'), coalesce(correlation_id::text, '<null>')
            FROM ledger.events WHERE stream_id = ANY(\(streams)) ORDER BY position
            """)
        var result: [String] = []
        for try await (stream, category, type, version, data, actor, organisation, correlation)
            in rows.decode((String, String, String, Int32, String, String, String, String).self) {
            // The streams compared differ in their category ("one-…", "two-…") only.
            let categoryMatches = category == stream.split(separator: "-")[0]
            result.append([String(stream.dropFirst(4)), "\(categoryMatches)", type, "\(version)", data, actor, organisation, correlation].joined(separator: "|"))
        }
        return result
    }

    @Test func aLoneEventIsStoredAsTheGateStoresIt() async throws {
        try await TestDatabase.withDatabase { db in
            let writer = db.store.coordinator.writer
            let correlation = UUID()
            let shapes: [EventMetadata] = [
                EventMetadata(actor: "ops", organisation: "acme", correlationID: correlation, source: "test"),
                EventMetadata(actor: "", organisation: "", source: "test"),
                EventMetadata(),
            ]
            for (index, metadata) in shapes.enumerated() {
                let payload = #"{"n":\#(index),"text":"caf\u00e9 \\ \"quoted\""}"#
                let event = { try! NewEvent(type: "Shape\(index)", schemaVersion: index + 1, data: Data(payload.utf8), metadata: metadata) }
                // One request of one event: the one-value-per-column statement.
                let one = [AppendRequest([StreamAppend(streamID: Fixture.stream("one-shape\(index)"), expectedVersion: .noStream, events: [event()])])]
                let prepared = try #require(try await writer.prepare(one))
                guard case .one = prepared.write else {
                    Issue.record("a lone event was not sent by its own statement")
                    return
                }
                guard case .written = await writer.commit(prepared) else {
                    Issue.record("the lone event was not written")
                    return
                }
                // The same event beside another in one batch: the gate's arrays.
                let pair = [
                    AppendRequest([StreamAppend(streamID: Fixture.stream("two-shape\(index)"), expectedVersion: .noStream, events: [event()])]),
                    AppendRequest([StreamAppend(streamID: Fixture.stream("filler-\(index)"), expectedVersion: .noStream, events: [Fixture.event()])]),
                ]
                let batch = try #require(try await writer.prepare(pair))
                guard case .statement = batch.write else {
                    Issue.record("a batch of two was not sent by the gate")
                    return
                }
                guard case .written = await writer.commit(batch) else {
                    Issue.record("the batch was not written")
                    return
                }
            }
            let byOne = try await Self.storedColumns(db, streams: (0..<shapes.count).map { "one-shape\($0)" })
            let byGate = try await Self.storedColumns(db, streams: (0..<shapes.count).map { "two-shape\($0)" })
            #expect(byOne.count == shapes.count)
            #expect(byOne == byGate)
            // Every stored hash recomputes from the stored columns, and the chain is whole.
            let report = try await db.store.verify()
            #expect(report.isClean)
            let streams = try await db.client.query("SELECT version, last_position FROM ledger.streams WHERE stream_id = 'one-shape0'")
            var heads: [[Int64]] = []
            for try await (version, last) in streams.decode((Int64, Int64).self) { heads.append([version, last]) }
            // The lone event's stream head is the event itself: version 1, at position 1.
            #expect(heads == [[1, 1]])
        }
    }

    /// One event goes by the lone event's statement, two by the batch statement: both must check.
    @Test(arguments: [1, 2]) func aStreamAssumedNewThatAnotherWriterCreatedIsRefused(events: Int) async throws {
        try await TestDatabase.withDatabase { db in
            let writer = db.store.coordinator.writer
            // The cache knows the head but not this stream: it will be assumed absent.
            _ = try await writer.write([AppendRequest([StreamAppend(streamID: Fixture.stream("warmup-1"), expectedVersion: .any, events: [Fixture.event()])])])
            let contested = Fixture.stream("contested-1")
            let prepared = try #require(try await writer.prepare(
                [AppendRequest([StreamAppend(streamID: contested, expectedVersion: .any, events: (0..<events).map { _ in Fixture.event() })])]))
            switch prepared.write {
            case .one(let statement) where events == 1 && statement.streamAssumedAbsent: break
            case .statement(let statement) where events == 2 && statement.assumedAbsent == ["contested-1"]: break
            default:
                Issue.record("the batch was not planned on an assumed-absent stream by the statement expected")
                return
            }
            // Another process creates the stream, without moving the head past what the plan expects:
            // only the stream check can refuse the plan.
            try await db.client.query("""
                INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
                VALUES ('contested-1', 7, '\\x00'::bytea, 0)
                """)
            if case .written = await writer.commit(prepared) {
                Issue.record("events planned on a stream assumed new were written although the stream existed")
            }
            let events = try await db.store.read(stream: contested)
            #expect(events.isEmpty)
        }
    }
}
