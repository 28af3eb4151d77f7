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
        // Positions become visible strictly in order, so everything up to a head read earlier is
        // visible to this later query: a short filtered page has scanned everything up to it.
        // Unfiltered pages are bounded by the window the page can fill (positions are gapless),
        // which keeps every plan cheap even before the table has statistics.
        let bound = filter.isUnrestricted ? position + Int64(limit) : try await headPosition()
        let query: PostgresQuery = """
            SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                recorded_at, prev_hash, hash FROM ledger.events
            WHERE position > \(position) AND position <= \(bound)
              AND (cardinality(\(categories)::text[]) = 0 OR category = ANY(\(categories)::text[]))
              AND (cardinality(\(types)::text[]) = 0 OR event_type = ANY(\(types)::text[]))
            ORDER BY position LIMIT \(limit)
            """
        let events = try await fetchEvents(query)
        let scanned: Int64
        if events.count == limit {
            scanned = events[events.count - 1].position
        } else if !filter.isUnrestricted {
            scanned = max(bound, position)
        } else if let last = events.last {
            scanned = last.position
        } else {
            // An empty window below the head can only be a range without events (pruned);
            // step over it rather than stall.
            scanned = try await headPosition() > bound ? bound : position
        }
        return ReadPage(events: events, scannedThrough: scanned)
    }

    /// Reads every event with a position in `(after, through]` that passes `filter`, in order.
    /// Positions are gapless, so a window holds at most `through - after` events; windows do not
    /// depend on each other's answers, so several can be read at once (a rebuild reads ahead
    /// that way). `through` should be a committed position (e.g. a head read before), or the
    /// window may miss an event that commits later below it.
    public func readWindow(after position: Int64, through end: Int64, filter: EventFilter = .all) async throws -> [RecordedEvent] {
        guard end >= position else { throw LedgerError(.invalidArgument, "a window must not end before it starts") }
        guard end > position else { return [] }
        let categories = Array(filter.categories)
        let types = Array(filter.eventTypes)
        return try await fetchEvents("""
            SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
                recorded_at, prev_hash, hash FROM ledger.events
            WHERE position > \(position) AND position <= \(end)
              AND (cardinality(\(categories)::text[]) = 0 OR category = ANY(\(categories)::text[]))
              AND (cardinality(\(types)::text[]) = 0 OR event_type = ANY(\(types)::text[]))
            ORDER BY position
            """, expected: Int(clamping: min(end - position, 100_000)))
    }

    /// The position of the oldest event still in the log (nil when it holds none): where a
    /// pruned log starts.
    public func firstPosition() async throws -> Int64? {
        for position in try await client.liveQuery("SELECT min(position) FROM ledger.events", logger: logger).decode(Int64?.self) {
            return position
        }
        return nil
    }

    /// The stream's current version: the version of its last event, 0 when it has none.
    public func version(of streamID: StreamID) async throws -> Int64 {
        let rows = try await client.liveQuery("SELECT version FROM ledger.streams WHERE stream_id = \(streamID.rawValue)", logger: logger)
        for version in try rows.decode(Int64.self) { return version }
        return 0
    }

    /// The position of the last committed event (0 for an empty log).
    public func headPosition() async throws -> Int64 {
        for position in try await client.liveQuery("SELECT position FROM ledger.head", logger: logger).decode(Int64.self) {
            return position
        }
        return 0
    }

    /// Runs `query` (selecting the event columns in order) and makes its rows events; room for
    /// `expected` of them is made up front when the caller knows about how many will come.
    func fetchEvents(_ query: PostgresQuery, expected: Int = 0) async throws -> [RecordedEvent] {
        let logger = logger
        do {
            // Decoded as the rows stream in, on a live connection (see `withLiveConnection`).
            return try await client.withLiveConnection { connection in
                var events: [RecordedEvent] = []
                events.reserveCapacity(expected)
                var strings = RowStrings()
                for try await row in try await connection.query(query, logger: logger) {
                    if let event = RecordedEvent(binaryRow: row, strings: &strings) {
                        events.append(event)
                        continue
                    }
                    let (position, id, stream, version, type, schema, data, metadata, recordedAt, previous, hash) = try row.decode(
                        (Int64, UUID, String, Int64, String, Int32, ByteBuffer, ByteBuffer, PostgresMicroseconds, ByteBuffer, ByteBuffer).self)
                    events.append(try Self.makeEvent(
                        position: position, id: id, stream: stream, version: version, type: type, schema: schema, data: data,
                        metadata: metadata, recordedAt: recordedAt, previous: previous, hash: hash))
                }
                return events
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.database, "reading the log failed: \(PostgresErrorText.safe(error))", underlying: error)
        }
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

extension EventStore {
    /// The highest position among the events with these ids, or nil when none is in the log.
    public func lastPosition(ofEvents ids: [UUID]) async throws -> Int64? {
        let rows = try await client.liveQuery("SELECT max(position) FROM ledger.events WHERE event_id = ANY(\(ids))", logger: logger)
        return try rows.first?.decode(Int64?.self)
    }
}
