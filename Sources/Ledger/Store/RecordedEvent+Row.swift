import Foundation
import NIOCore
import PostgresNIO

extension RecordedEvent {
    /// Reads the event columns (in ``EventStore``'s select order) straight from the binary cells:
    /// rebuilds read millions of rows, and the generic tuple decoding cost more than the rest of
    /// the read. Nil when a cell is not in the expected binary shape; the caller then decodes the
    /// row the generic way, which reports the problem properly.
    init?(binaryRow row: PostgresRow) {
        var cells = row.makeIterator()
        func next(_ type: PostgresDataType) -> ByteBuffer? {
            guard let cell = cells.next(), cell.format == .binary, cell.dataType == type else { return nil }
            return cell.bytes
        }
        guard var positionBytes = next(.int8), let position = positionBytes.readInteger(as: Int64.self),
            var idBytes = next(.uuid), let id = idBytes.readUUIDBytes(),
            let streamBytes = next(.text),
            var versionBytes = next(.int8), let version = versionBytes.readInteger(as: Int64.self),
            let typeBytes = next(.text),
            var schemaBytes = next(.int4), let schema = schemaBytes.readInteger(as: Int32.self),
            let data = next(.bytea), let metadata = next(.bytea),
            var recordedBytes = next(.timestamptz), let recorded = recordedBytes.readInteger(as: Int64.self),
            let previous = next(.bytea), let hash = next(.bytea),
            let previousHash = try? EventHash(bytes: previous.readableBytesView), let ownHash = try? EventHash(bytes: hash.readableBytesView)
        else { return nil }
        self.init(
            id: id, streamID: StreamID(unchecked: String(buffer: streamBytes)), streamVersion: version, position: position,
            type: String(buffer: typeBytes), schemaVersion: Int(schema), data: Data(data.readableBytesView),
            metadataJSON: Data(metadata.readableBytesView), recordedAtMicroseconds: recorded + PostgresMicroseconds.postgresEpochOffset,
            previousHash: previousHash, hash: ownHash)
    }
}

extension ByteBuffer {
    /// Sixteen bytes as a UUID.
    fileprivate mutating func readUUIDBytes() -> UUID? {
        guard readableBytes >= 16 else { return nil }
        return readWithUnsafeReadableBytes { bytes in
            (16, UUID(uuid: bytes.loadUnaligned(as: uuid_t.self)))
        }
    }
}
