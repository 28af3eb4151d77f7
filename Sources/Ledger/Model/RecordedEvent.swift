import Foundation

/// An event as the log holds it: the envelope the store assigned plus the writer's payload.
public struct RecordedEvent: Sendable, Hashable {
    public var id: UUID
    public var streamID: StreamID
    /// 1 for the first event of the stream, gapless after that.
    public var streamVersion: Int64
    /// The event's place in the global order of all streams, gapless from 1.
    public var position: Int64
    public var type: String
    public var schemaVersion: Int
    /// The exact JSON bytes that were appended.
    public var data: Data
    /// The exact JSON bytes of the metadata that were appended.
    public var metadataJSON: Data
    /// When the store recorded it, in microseconds since 1970 (the precision PostgreSQL keeps).
    public var recordedAtMicroseconds: Int64
    /// The hash of the stream's previous event (all zero for the first).
    public var previousHash: EventHash
    /// This event's hash, chained to ``previousHash``.
    public var hash: EventHash

    public init(
        id: UUID, streamID: StreamID, streamVersion: Int64, position: Int64, type: String, schemaVersion: Int,
        data: Data, metadataJSON: Data, recordedAtMicroseconds: Int64, previousHash: EventHash, hash: EventHash
    ) {
        self.id = id
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.position = position
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadataJSON = metadataJSON
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.previousHash = previousHash
        self.hash = hash
    }

    /// When the store recorded it.
    public var recordedAt: Date {
        Date(timeIntervalSince1970: Double(recordedAtMicroseconds) / 1_000_000)
    }

    /// The decoded metadata.
    public func metadata() throws -> EventMetadata {
        if let metadata = EventMetadata.fastDecode(metadataJSON) { return metadata }
        return try LedgerJSON.decode(EventMetadata.self, from: metadataJSON)
    }

    /// Decodes the payload as `Event`, refusing an event of another type.
    public func decode<Event: LedgerEvent>(as _: Event.Type) throws -> Event {
        guard type == Event.eventType else {
            throw LedgerError(.invalidEvent, "event at position \(position) is \(type), not \(Event.eventType)")
        }
        return try LedgerJSON.decode(Event.self, from: data)
    }
}
