import Crypto
import Foundation

/// Computes the hash that chains each event to the previous event of its stream.
///
/// `hash = SHA-256(prev_hash ‖ position ‖ stream_version ‖ schema_version ‖ recorded_at_µs ‖
/// len‖event_id ‖ len‖stream_id ‖ len‖event_type ‖ len‖data ‖ len‖metadata)`, where numbers
/// are big-endian 64-bit, `len` is a big-endian 32-bit byte count, the id is its 16 raw bytes
/// and strings are UTF-8. Length prefixes make the encoding unambiguous; the position makes a
/// row's content valid only at its own place in the global order, so swapped rows are caught.
/// The append path and `ledger verify` both use this one function.
public enum EventHasher {
    /// The hash of one event given the hash of its predecessor in the same stream.
    public static func hash(
        previous: EventHash, position: Int64, streamVersion: Int64, schemaVersion: Int, recordedAtMicroseconds: Int64,
        eventID: UUID, streamID: String, type: String, data: Data, metadata: Data
    ) -> EventHash {
        // One buffer per event: this runs for every appended and every verified event.
        var message = [UInt8]()
        message.reserveCapacity(32 + 32 + 20 + 12 + streamID.utf8.count + type.utf8.count + data.count + metadata.count)
        message.append(contentsOf: previous.bytes)
        appendBigEndian(UInt64(bitPattern: position), to: &message)
        appendBigEndian(UInt64(bitPattern: streamVersion), to: &message)
        appendBigEndian(UInt64(schemaVersion), to: &message)
        appendBigEndian(UInt64(bitPattern: recordedAtMicroseconds), to: &message)
        appendLength(16, to: &message)
        withUnsafeBytes(of: eventID.uuid) { message.append(contentsOf: $0) }
        appendLength(streamID.utf8.count, to: &message)
        message.append(contentsOf: streamID.utf8)
        appendLength(type.utf8.count, to: &message)
        message.append(contentsOf: type.utf8)
        appendLength(data.count, to: &message)
        message.append(contentsOf: data)
        appendLength(metadata.count, to: &message)
        message.append(contentsOf: metadata)
        return EventHash(unchecked: Array(SHA256.hash(data: message)))
    }

    /// Re-computes the hash of a recorded event from its stored fields and its stored `previousHash`.
    public static func expectedHash(of event: RecordedEvent) -> EventHash {
        hash(
            previous: event.previousHash, position: event.position, streamVersion: event.streamVersion,
            schemaVersion: event.schemaVersion, recordedAtMicroseconds: event.recordedAtMicroseconds,
            eventID: event.id, streamID: event.streamID.rawValue, type: event.type,
            data: event.data, metadata: event.metadataJSON)
    }

    private static func appendLength(_ count: Int, to bytes: inout [UInt8]) {
        let value = UInt32(truncatingIfNeeded: count)
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8((value >> UInt64(shift)) & 0xFF))
        }
    }
}
