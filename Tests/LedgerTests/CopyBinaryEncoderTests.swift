import Foundation
import NIOCore
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// The bulk path's binary COPY rows must land exactly as the text COPY's do (the text encoder is
/// the one archive imports use, and PostgreSQL's own parsers decode both): the same events
/// through each into two copies of the log's table, compared row by row by the server.
@Suite struct CopyBinaryEncoderTests {
    @Test func binaryRowsLandAsTheTextRowsDo() async throws {
        try await TestDatabase.withDatabase { db in
            for table in ["copy_text", "copy_binary"] {
                try await db.client.query("CREATE TABLE public.\(unescaped: table) (LIKE ledger.events)", logger: TestDatabase.logger)
            }
            var generator = SystemRandomNumberGenerator()
            let events = (1...300).map { index in Self.event(index, using: &generator) }
            try await db.client.withConnection { connection in
                try await connection.copyFrom(table: "copy_text", columns: CopyTextEncoder.columns, logger: TestDatabase.logger) { writer in
                    var encoder = CopyTextEncoder()
                    var buffer = ByteBuffer()
                    for (event, metadata) in events { encoder.append(event, metadata: metadata, to: &buffer) }
                    try await writer.write(buffer)
                }
                try await connection.copyFrom(table: "copy_binary", columns: CopyBinaryEncoder.columnsSelectingBinary, logger: TestDatabase.logger) { writer in
                    var buffer = ByteBuffer()
                    CopyBinaryEncoder.writeHeader(to: &buffer)
                    for (event, metadata) in events { CopyBinaryEncoder.append(event, metadata: metadata, to: &buffer) }
                    CopyBinaryEncoder.writeTrailer(to: &buffer)
                    try await writer.write(buffer)
                }
            }
            let rows = try await db.client.query("""
                SELECT (SELECT count(*) FROM copy_binary)::int,
                       (SELECT count(*) FROM (SELECT * FROM copy_text EXCEPT SELECT * FROM copy_binary) d)::int,
                       (SELECT count(*) FROM (SELECT * FROM copy_binary EXCEPT SELECT * FROM copy_text) d)::int,
                       (SELECT count(*) FROM copy_binary WHERE actor IS NULL)::int,
                       (SELECT count(*) FROM copy_binary WHERE correlation_id IS NOT NULL)::int
                """, logger: TestDatabase.logger)
            for try await (count, onlyText, onlyBinary, withoutActor, correlated) in rows.decode((Int, Int, Int, Int, Int).self) {
                #expect(count == events.count)
                #expect(onlyText == 0 && onlyBinary == 0)
                // Both kinds of optional value were exercised.
                #expect(withoutActor > 0 && withoutActor < count)
                #expect(correlated > 0 && correlated < count)
            }
            // And one row read back against the values it was made from.
            let (first, firstMetadata) = events[0]
            let read = try await db.client.query("""
                SELECT event_id, stream_id, recorded_at, data, hash, actor FROM copy_binary WHERE position = \(first.position)
                """, logger: TestDatabase.logger)
            for try await (id, stream, recordedAt, data, hash, actor) in read.decode((UUID, String, Date, ByteBuffer, ByteBuffer, String?).self) {
                #expect(id == first.id && stream == first.streamID.rawValue)
                #expect(Int64((recordedAt.timeIntervalSince1970 * 1_000_000).rounded()) == first.recordedAtMicroseconds)
                #expect(Data(data.readableBytesView) == first.data)
                #expect(Array(hash.readableBytesView) == first.hash.bytes)
                #expect(actor == (firstMetadata.actor?.isEmpty == false ? firstMetadata.actor : nil))
            }
        }
    }

    /// An event with text that COPY's text format must escape, non-ASCII text, and optional
    /// metadata present or absent (an empty actor is stored as NULL by both).
    private static func event(_ index: Int, using generator: inout SystemRandomNumberGenerator) -> (RecordedEvent, EventMetadata) {
        let actors: [String?] = [nil, "", "ana", "tab\there \\ back", "Zoë 🚀"]
        let metadata = EventMetadata(
            actor: actors[index % actors.count], organisation: index % 3 == 0 ? nil : "org-\(index % 7)",
            correlationID: index % 4 == 0 ? UUID() : nil, source: "test")
        let metadataJSON = try! JSONEncoder().encode(metadata)
        let hash = { EventHash(unchecked: (0..<32).map { _ in UInt8.random(in: 0...255) }) }
        let event = RecordedEvent(
            id: UUID(), streamID: try! StreamID("bulk\(index % 5)-ünï"), streamVersion: Int64(index), position: Int64(index),
            type: index % 2 == 0 ? "LogLine" : "Step\\Started", schemaVersion: 1 + index % 3,
            data: Data(#"{"line":"a\tb \u00e9 \#(index)","n":\#(index)}"#.utf8), metadataJSON: metadataJSON,
            recordedAtMicroseconds: 1_796_000_000_000_000 + Int64(index) * 1_234_567 + Int64.random(in: -999...999, using: &generator),
            previousHash: hash(), hash: hash())
        return (event, metadata)
    }
}
