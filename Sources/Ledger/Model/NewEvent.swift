import Foundation

/// An event about to be appended: its id (which makes retries idempotent), type, schema version,
/// JSON payload and metadata. The store assigns version, position, time and hashes.
public struct NewEvent: Sendable, Hashable {
    /// Chosen by the writer; sending the same id again is recognised as a retry.
    public var id: UUID
    /// The stable event type name.
    public var type: String
    /// The payload's schema version (1 or more).
    public var schemaVersion: Int
    /// The payload: the exact bytes of one JSON object.
    public var data: Data
    /// Who and what caused it.
    public var metadata: EventMetadata {
        didSet { metadataJSON = metadata.jsonData() }
    }
    /// ``metadata`` as the JSON bytes that are stored and hashed, encoded once up front so the
    /// serialised part of an append does not have to.
    public private(set) var metadataJSON: Data

    /// The longest event type name accepted.
    public static let maximumTypeLength = 120

    /// Wraps an already-encoded JSON payload, checking that it is one well-formed JSON object.
    public init(
        id: UUID = .random(), type: String, schemaVersion: Int = 1, data: Data, metadata: EventMetadata = EventMetadata()
    ) throws(LedgerError) {
        guard !type.isEmpty, type.count <= Self.maximumTypeLength,
            type.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else {
            throw LedgerError(.invalidEvent, "event type must be 1–\(Self.maximumTypeLength) printable characters without spaces")
        }
        guard schemaVersion >= 1 else {
            throw LedgerError(.invalidEvent, "schema version must be 1 or more")
        }
        guard JSONObjectCheck.isObject(data) else {
            throw LedgerError(.invalidEvent, "event data must be one JSON object (RFC 8259, UTF-8)")
        }
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadata = metadata
        self.metadataJSON = metadata.jsonData()
    }

    /// Encodes a typed event.
    public init<Event: LedgerEvent>(_ event: Event, id: UUID = .random(), metadata: EventMetadata = EventMetadata()) throws {
        try self.init(id: id, type: Event.eventType, schemaVersion: Event.schemaVersion, data: LedgerJSON.encode(event), metadata: metadata)
    }
}
