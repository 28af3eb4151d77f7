import Foundation
import NIOCore
import PostgresNIO

/// Which way to read a stream.
public enum ReadDirection: Sendable, Hashable {
    case forward
    case backward
}

/// One page of a read of all streams.
public struct ReadPage: Sendable {
    /// The matching events, in position order.
    public var events: [RecordedEvent]
    /// Every position up to this one has been looked at: continue after it. It can be past the
    /// last event of the page when a filter skipped events, and it never passes a position that
    /// is not committed yet.
    public var scannedThrough: Int64
}

extension EventStore {
    /// Reads up to `limit` events of one stream, forward from version `from` (default: its
    /// start) or backward from it (default: its end).
    public func read(
        stream streamID: StreamID, from version: Int64? = nil, direction: ReadDirection = .forward, limit: Int = 1_000
    ) async throws -> [RecordedEvent] {
        guard limit > 0 else { throw LedgerError(.invalidArgument, "limit must be positive") }
        let query: PostgresQuery
        switch direction {
        case .forward:
            let start = version ?? 1
            query = """
                SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                    recorded_at, prev_hash, hash FROM ledger.events
                WHERE stream_id = \(streamID.rawValue) AND stream_version >= \(start)
                ORDER BY stream_version LIMIT \(limit)
                """
        case .backward:
            let start = version ?? Int64.max
            query = """
                SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                    recorded_at, prev_hash, hash FROM ledger.events
                WHERE stream_id = \(streamID.rawValue) AND stream_version <= \(start)
                ORDER BY stream_version DESC LIMIT \(limit)
                """
        }
        return try await fetchEvents(query)
    }

    /// Reads the next page of all streams after `position` (0: from the beginning), in global
    /// order, keeping only events that pass `filter`.
    public func readAll(after position: Int64, filter: EventFilter = .all, limit: Int? = nil) async throws -> ReadPage {
        let limit = limit ?? configuration.readBatchSize
        guard limit > 0 else { throw LedgerError(.invalidArgument, "limit must be positive") }
        let categories = Array(filter.categories)
        let types = Array(filter.eventTypes)
        // The head is read in the same statement (one snapshot) as the events: every position up
        // to it is committed and visible, so a short page has scanned everything up to the head.
        let query: PostgresQuery = """
            SELECT e.position, e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data,
                e.metadata, e.recorded_at, e.prev_hash, e.hash, h.position
            FROM ledger.head h LEFT JOIN LATERAL (
                SELECT * FROM ledger.events ev
                WHERE ev.position > \(position) AND ev.position <= h.position
                  AND (cardinality(\(categories)::text[]) = 0 OR ev.category = ANY(\(categories)::text[]))
                  AND (cardinality(\(types)::text[]) = 0 OR ev.event_type = ANY(\(types)::text[]))
                ORDER BY ev.position LIMIT \(limit)
            ) e ON true
            """
        var events: [RecordedEvent] = []
        events.reserveCapacity(limit)
        var head = position
        do {
            for try await row in try await client.query(query, logger: logger) {
                let columns = try row.decode(
                    (Int64?, UUID?, String?, Int64?, String?, Int32?, ByteBuffer?, ByteBuffer?, PostgresMicroseconds?,
                     ByteBuffer?, ByteBuffer?, Int64).self)
                head = columns.11
                guard let position = columns.0, let id = columns.1, let stream = columns.2, let version = columns.3,
                    let type = columns.4, let schema = columns.5, let data = columns.6, let metadata = columns.7,
                    let recordedAt = columns.8, let previous = columns.9, let hash = columns.10
                else { continue }
                events.append(try Self.makeEvent(
                    position: position, id: id, stream: stream, version: version, type: type, schema: schema, data: data,
                    metadata: metadata, recordedAt: recordedAt, previous: previous, hash: hash))
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.database, "reading the log failed: \(PostgresErrorText.safe(error))", underlying: error)
        }
        let scanned = events.count == limit ? events[events.count - 1].position : max(head, position)
        return ReadPage(events: events, scannedThrough: scanned)
    }

    /// The stream's current version: the version of its last event, 0 when it has none.
    public func version(of streamID: StreamID) async throws -> Int64 {
        let rows = try await client.query("SELECT version FROM ledger.streams WHERE stream_id = \(streamID.rawValue)", logger: logger)
        for try await version in rows.decode(Int64.self) { return version }
        return 0
    }

    /// The position of the last committed event (0 for an empty log).
    public func headPosition() async throws -> Int64 {
        for try await position in try await client.query("SELECT position FROM ledger.head", logger: logger).decode(Int64.self) {
            return position
        }
        return 0
    }

    func fetchEvents(_ query: PostgresQuery) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        do {
            for try await row in try await client.query(query, logger: logger) {
                let (position, id, stream, version, type, schema, data, metadata, recordedAt, previous, hash) = try row.decode(
                    (Int64, UUID, String, Int64, String, Int32, ByteBuffer, ByteBuffer, PostgresMicroseconds, ByteBuffer, ByteBuffer).self)
                events.append(try Self.makeEvent(
                    position: position, id: id, stream: stream, version: version, type: type, schema: schema, data: data,
                    metadata: metadata, recordedAt: recordedAt, previous: previous, hash: hash))
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.database, "reading the log failed: \(PostgresErrorText.safe(error))", underlying: error)
        }
        return events
    }

    static func makeEvent(
        position: Int64, id: UUID, stream: String, version: Int64, type: String, schema: Int32, data: ByteBuffer,
        metadata: ByteBuffer, recordedAt: PostgresMicroseconds, previous: ByteBuffer, hash: ByteBuffer
    ) throws -> RecordedEvent {
        RecordedEvent(
            id: id, streamID: StreamID(unchecked: stream), streamVersion: version, position: position, type: type,
            schemaVersion: Int(schema), data: Data(data.readableBytesView), metadataJSON: Data(metadata.readableBytesView),
            recordedAtMicroseconds: recordedAt.sinceUnixEpoch,
            previousHash: try EventHash(bytes: previous.readableBytesView), hash: try EventHash(bytes: hash.readableBytesView))
    }
}
