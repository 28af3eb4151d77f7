import Crypto
import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerDomain
import LedgerTestSupport

/// Large batches travel by COPY instead of bound arrays; what lands in the log must not depend on
/// which way a batch went.
@Suite struct BulkAppendTests {
    /// Awkward content for every column COPY's text format escapes or converts.
    static func awkwardEvents(_ count: Int) -> [NewEvent] {
        let actors: [String?] = ["tab\there", "line\nbreak\r\n", #"back\slash \N"#, "ünïcødé ✓", nil, ""]
        return (0..<count).map { index in
            let json = #"{"line":"\\t \\\\ \"q\" \#(index) ✓","n":\#(index)}"#
            let metadata = EventMetadata(
                actor: actors[index % actors.count], organisation: index % 3 == 0 ? nil : "org\\\(index)",
                correlationID: index % 2 == 0 ? UUID() : nil, source: "test")
            return try! NewEvent(type: index % 2 == 0 ? #"Log\Line"# : "LogLine", data: Data(json.utf8), metadata: metadata)
        }
    }

    /// Every stored column of one stream's events, positions and ids aside.
    static func storedColumns(_ db: TestContext, stream: StreamID) async throws -> [[String]] {
        let rows = try await db.client.query("""
            SELECT stream_version, category, event_type, schema_version, encode(data, 'escape'), encode(metadata, 'escape'),
                coalesce(actor, '<null>'), coalesce(organisation, '<null>'), coalesce(correlation_id::text, '<null>'),
                recorded_at = timestamptz 'epoch' + (extract(epoch FROM recorded_at) * 1000000)::bigint * interval '1 microsecond'
            FROM ledger.events WHERE stream_id = \(stream.rawValue) ORDER BY stream_version
            """, logger: TestDatabase.logger)
        var result: [[String]] = []
        for try await (version, category, type, schema, data, metadata, actor, organisation, correlation, exact) in rows.decode(
            (Int64, String, String, Int32, String, String, String, String, String, Bool).self)
        {
            result.append(["\(version)", category, type, "\(schema)", data, metadata, actor, organisation, correlation, "\(exact)"])
        }
        return result
    }

    @Test func aCopiedBatchStoresExactlyWhatOneByOneAppendsStore() async throws {
        try await TestDatabase.withDatabase { db in
            let count = BatchWriter.copyPathRowThreshold + 44
            let events = Self.awkwardEvents(count)
            let copied = try StreamID(#"bulk\copied-1"#)
            let single = try StreamID(#"bulk\copied-2"#)
            let result = try await db.store.append(to: copied, expectedVersion: .noStream, events: events)
            #expect(result.firstPosition == 1 && result.lastPosition == Int64(count) && result.streams[0].version == Int64(count))
            for (index, event) in events.enumerated() {
                var again = event
                again.id = UUID()
                _ = try await db.store.append(to: single, expectedVersion: .exact(Int64(index)), events: [again])
            }
            let viaCopy = try await Self.storedColumns(db, stream: copied)
            let oneByOne = try await Self.storedColumns(db, stream: single)
            #expect(viaCopy.count == count && oneByOne.count == count)
            let firstDifference = viaCopy.indices.first { $0 < oneByOne.count && viaCopy[$0] != oneByOne[$0] }
            #expect(firstDifference == nil, "row \(firstDifference ?? 0): \(viaCopy[firstDifference ?? 0]) vs \(oneByOne[firstDifference ?? 0])")
            // The ids, payloads and metadata read back exactly as sent.
            let read = try await db.store.read(stream: copied, limit: count)
            #expect(read.map(\.id) == events.map(\.id))
            #expect(read.map(\.data) == events.map(\.data))
            #expect(read.map(\.metadataJSON) == events.map(\.metadataJSON))
            // A second copied batch continues the stream's chain, and a small append after it
            // continues from the last hash the copied batch left in the writer's cache.
            let more = try await db.store.append(to: copied, expectedVersion: .exact(Int64(count)), events: Self.awkwardEvents(count))
            #expect(more.streams[0].version == Int64(2 * count))
            _ = try await db.store.append(to: copied, expectedVersion: .exact(Int64(2 * count)), events: [Fixture.event()])
            // recorded_at, hashes and positions came through COPY's text form exactly, or this fails.
            let report = try await db.store.verify()
            #expect(report.isClean && report.eventsChecked == Int64(3 * count + 1))
        }
    }

    @Test func aCopiedBatchWithAResentIdIsAnsweredLikeAnyOther() async throws {
        try await TestDatabase.withDatabase { db in
            let events = Self.awkwardEvents(BatchWriter.copyPathRowThreshold)
            let stream = Fixture.stream("bulk-resent")
            let first = try await db.store.append(to: stream, expectedVersion: .noStream, events: events)
            let again = try await db.store.append(to: stream, expectedVersion: .noStream, events: events)
            #expect(again.wasAlreadyAppended && again.lastPosition == first.lastPosition)
            var reused = Self.awkwardEvents(BatchWriter.copyPathRowThreshold)
            reused[100].id = events[7].id
            await #expect(throws: EventIDReused.self) {
                _ = try await db.store.append(to: Fixture.stream("bulk-other"), events: reused)
            }
            let head = try await db.store.headPosition()
            #expect(head == first.lastPosition)
        }
    }

    /// The statement plans unseen streams as new without reading them; it must refuse to write
    /// when such a stream exists after all, even if the head is where the plan expected.
    @Test func theStatementRefusesAPlanThatTookAnExistingStreamForNew() async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await db.store.append(to: Fixture.stream("order-1"), events: [Fixture.event()])
            let head = try await db.store.headPosition()
            let headHash = try #require(try await db.store.read(stream: Fixture.stream("order-1")).last).hash
            func gate(assumingAbsent streams: [String]) async throws -> Bool {
                let statement = AppendPlannedStatement(
                    expectedHead: head, expectedHeadHash: headHash, newHead: head, newHeadHash: headHash,
                    recordedAtMicroseconds: 0, holdMilliseconds: 0,
                    assumedAbsent: streams, columns: EventColumns(rows: [], metadata: [], streamUpdates: []))
                var accepted = false
                for try await row in try await db.client.execute(statement, logger: TestDatabase.logger) { accepted = row }
                return accepted
            }
            #expect(try await gate(assumingAbsent: ["order-1"]) == false)
            #expect(try await gate(assumingAbsent: ["order-2"]) == true)
            #expect(try await gate(assumingAbsent: []) == true)
        }
    }

    /// Another process created the stream after this writer last read the log; the writer plans
    /// it as new, is refused, re-reads and answers as if it had read first.
    @Test func aStreamAnotherProcessCreatedIsNotTakenForNew() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = Fixture.stream("order-elsewhere")
            try await db.withSecondStore { other in
                _ = try await other.append(to: stream, expectedVersion: .noStream, events: [Fixture.event()])
            }
            // This store's first append reads the head, so its cache is current but knows nothing of the stream.
            _ = try await db.store.append(to: Fixture.stream("order-here"), events: [Fixture.event()])
            await #expect(throws: AppendConflict.self) {
                _ = try await db.store.append(to: stream, expectedVersion: .noStream, events: [Fixture.event()])
            }
            let result = try await db.store.append(to: stream, expectedVersion: .any, events: [Fixture.event()])
            #expect(result.streams[0].version == 2)
            #expect(try await db.store.verify().isClean)
        }
    }
}

@Suite struct EventHasherTests {
    /// The chain hash is SHA-256 over the documented encoding; verifying old logs depends on it
    /// never changing.
    @Test func theHashIsSHA256OverTheDocumentedEncoding() throws {
        let previous = EventHasher.hash(
            previous: .zero, position: 1, streamVersion: 1, schemaVersion: 1, recordedAtMicroseconds: 0,
            eventID: UUID(), streamID: "a", type: "T", data: Data("{}".utf8), metadata: Data("{}".utf8))
        let id = UUID()
        let streamID = "deployment-ü1", type = "LogLine"
        let data = Data(#"{"line":"x"}"#.utf8), metadata = Data(#"{"actor":"a"}"#.utf8)
        var message: [UInt8] = previous.bytes
        func big(_ value: UInt64) { message += (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        func length(_ count: Int) { message += (0..<4).reversed().map { UInt8(truncatingIfNeeded: UInt32(count) >> ($0 * 8)) } }
        big(42); big(7); big(2); big(UInt64(bitPattern: -5))
        length(16); message += withUnsafeBytes(of: id.uuid) { Array($0) }
        length(streamID.utf8.count); message += Array(streamID.utf8)
        length(type.utf8.count); message += Array(type.utf8)
        length(data.count); message += Array(data)
        length(metadata.count); message += Array(metadata)
        let expected = try EventHash(bytes: Array(SHA256.hash(data: message)))
        let actual = EventHasher.hash(
            previous: previous, position: 42, streamVersion: 7, schemaVersion: 2, recordedAtMicroseconds: -5,
            eventID: id, streamID: streamID, type: type, data: data, metadata: metadata)
        #expect(actual == expected)
        #expect(actual.bytes.count == 32)
    }
}
