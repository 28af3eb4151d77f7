import Foundation
import Ledger

/// How one event is laid out inside a segment, before compression (all integers big-endian):
///
/// `u32 length of the rest ‖ i64 position ‖ i64 stream_version ‖ i32 schema_version ‖
/// i64 recorded_at_µs ‖ 16 bytes event id ‖ 32 bytes prev_hash ‖ 32 bytes hash ‖
/// u16 len ‖ stream id ‖ u16 len ‖ event type ‖ u32 len ‖ data ‖ u32 len ‖ metadata`
///
/// Every field the event's hash covers is kept byte for byte, so an archive can be checked
/// against its hash chains with no database, and imported back unchanged.
enum ArchiveRecord {
    /// Bytes of the fixed part after the length prefix.
    static let fixedBytes = 8 + 8 + 4 + 8 + 16 + 32 + 32 + 2 + 2 + 4 + 4

    /// Appends `event`'s record to `buffer`.
    static func append(_ event: RecordedEvent, to buffer: inout [UInt8]) throws {
        let stream = event.streamID.rawValue.utf8, type = event.type.utf8
        guard stream.count <= UInt16.max, type.count <= UInt16.max else {
            throw ArchiveError.invalid("event at position \(event.position) has a stream id or type too long to archive")
        }
        let length = fixedBytes + stream.count + type.count + event.data.count + event.metadataJSON.count
        buffer.reserveCapacity(buffer.count + 4 + length)
        put(UInt32(length), &buffer)
        put(UInt64(bitPattern: event.position), &buffer)
        put(UInt64(bitPattern: event.streamVersion), &buffer)
        put(UInt32(truncatingIfNeeded: event.schemaVersion), &buffer)
        put(UInt64(bitPattern: event.recordedAtMicroseconds), &buffer)
        withUnsafeBytes(of: event.id.uuid) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: event.previousHash.bytes)
        buffer.append(contentsOf: event.hash.bytes)
        put(UInt16(stream.count), &buffer)
        buffer.append(contentsOf: stream)
        put(UInt16(type.count), &buffer)
        buffer.append(contentsOf: type)
        put(UInt32(event.data.count), &buffer)
        buffer.append(contentsOf: event.data)
        put(UInt32(event.metadataJSON.count), &buffer)
        buffer.append(contentsOf: event.metadataJSON)
    }

    private static func put<T: FixedWidthInteger>(_ value: T, _ buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }
}

/// Turns the decompressed bytes of a segment, fed in pieces of any size, back into events.
struct ArchiveRecordReader {
    private var pending: [UInt8] = []
    private var offset = 0

    /// Bytes fed but not yet part of a whole record (non-zero at the end means a cut record).
    var leftoverBytes: Int { pending.count - offset }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if offset > 0 && offset >= pending.count / 2 {
            pending.removeFirst(offset)
            offset = 0
        }
        pending.append(contentsOf: bytes)
    }

    /// The next whole record, or nil until more bytes are fed.
    mutating func next() throws -> RecordedEvent? {
        guard leftoverBytes >= 4 else { return nil }
        let length = Int(read(UInt32.self, at: offset))
        guard length >= ArchiveRecord.fixedBytes else { throw ArchiveError.invalid("a record claims \(length) bytes, fewer than any record has") }
        guard leftoverBytes >= 4 + length else { return nil }
        let event = try pending.withUnsafeBytes { raw -> RecordedEvent in
            var cursor = Cursor(bytes: raw, position: offset + 4, end: offset + 4 + length)
            let position = Int64(bitPattern: try cursor.integer(UInt64.self))
            let version = Int64(bitPattern: try cursor.integer(UInt64.self))
            let schema = Int(Int32(bitPattern: try cursor.integer(UInt32.self)))
            let recordedAt = Int64(bitPattern: try cursor.integer(UInt64.self))
            let id = try cursor.bytes(16)
            let previous = try cursor.bytes(32), hash = try cursor.bytes(32)
            let stream = try cursor.bytes(Int(try cursor.integer(UInt16.self)))
            let type = try cursor.bytes(Int(try cursor.integer(UInt16.self)))
            let data = try cursor.bytes(Int(try cursor.integer(UInt32.self)))
            let metadata = try cursor.bytes(Int(try cursor.integer(UInt32.self)))
            guard cursor.position == cursor.end else { throw ArchiveError.invalid("a record's fields do not add up to its length") }
            return RecordedEvent(
                id: UUID(uuid: id.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }),
                streamID: StreamID(unchecked: String(decoding: stream, as: UTF8.self)),
                streamVersion: version, position: position, type: String(decoding: type, as: UTF8.self), schemaVersion: schema,
                data: Data(data), metadataJSON: Data(metadata), recordedAtMicroseconds: recordedAt,
                previousHash: EventHash(unchecked: Array(previous)), hash: EventHash(unchecked: Array(hash)))
        }
        offset += 4 + length
        return event
    }

    private func read<T: FixedWidthInteger>(_: T.Type, at index: Int) -> T {
        pending.withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: index, as: T.self)) }
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int

        mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard position + size <= end else { throw ArchiveError.invalid("a record ends inside a field") }
            defer { position += size }
            return T(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        }

        mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
            guard position + count <= end else { throw ArchiveError.invalid("a record ends inside a field") }
            defer { position += count }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        }
    }
}
