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
        // No buffer per event: this runs for every appended and every verified event, so the
        // fixed-size fields go through a small stack buffer and the rest straight from storage.
        var hasher = SHA256()
        withUnsafeTemporaryAllocation(byteCount: 88, alignment: 8) { header in
            previous.withBytes { bytes in
                header.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: 32)
            }
            header.storeBytes(of: UInt64(bitPattern: position).bigEndian, toByteOffset: 32, as: UInt64.self)
            header.storeBytes(of: UInt64(bitPattern: streamVersion).bigEndian, toByteOffset: 40, as: UInt64.self)
            header.storeBytes(of: UInt64(schemaVersion).bigEndian, toByteOffset: 48, as: UInt64.self)
            header.storeBytes(of: UInt64(bitPattern: recordedAtMicroseconds).bigEndian, toByteOffset: 56, as: UInt64.self)
            header.storeBytes(of: UInt32(16).bigEndian, toByteOffset: 64, as: UInt32.self)
            withUnsafeBytes(of: eventID.uuid) { id in
                (header.baseAddress! + 68).copyMemory(from: id.baseAddress!, byteCount: 16)
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: header[..<84]))
            func field(_ bytes: UnsafeRawBufferPointer) {
                header.storeBytes(of: UInt32(truncatingIfNeeded: bytes.count).bigEndian, toByteOffset: 0, as: UInt32.self)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: header[..<4]))
                hasher.update(bufferPointer: bytes)
            }
            var streamID = streamID
            streamID.withUTF8 { field(UnsafeRawBufferPointer($0)) }
            var type = type
            type.withUTF8 { field(UnsafeRawBufferPointer($0)) }
            data.withUnsafeBytes { field($0) }
            metadata.withUnsafeBytes { field($0) }
        }
        return hasher.finalize().withUnsafeBytes { EventHash(digest: $0) }
    }

    /// Re-computes the hash of a recorded event from its stored fields and its stored `previousHash`.
    public static func expectedHash(of event: RecordedEvent) -> EventHash {
        hash(
            previous: event.previousHash, position: event.position, streamVersion: event.streamVersion,
            schemaVersion: event.schemaVersion, recordedAtMicroseconds: event.recordedAtMicroseconds,
            eventID: event.id, streamID: event.streamID.rawValue, type: event.type,
            data: event.data, metadata: event.metadataJSON)
    }

    static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8((value >> UInt64(shift)) & 0xFF))
        }
    }
}
