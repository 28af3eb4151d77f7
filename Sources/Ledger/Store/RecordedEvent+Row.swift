import Foundation
import NIOCore
import PostgresNIO

extension RecordedEvent {
    /// Reads the event columns (in ``EventStore``'s select order) straight from the binary cells:
    /// rebuilds read millions of rows, and the generic tuple decoding cost more than the rest of
    /// the read. Nil when a cell is not in the expected binary shape; the caller then decodes the
    /// row the generic way, which reports the problem properly.
    init?(binaryRow row: PostgresRow, strings: inout RowStrings) {
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
            id: id, streamID: StreamID(unchecked: strings.stream(streamBytes)), streamVersion: version, position: position,
            type: strings.type(typeBytes), schemaVersion: Int(schema), data: Data(data.readableBytesView),
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

/// Strings that repeat from row to row of one read, made once and shared: the few event type
/// names, and the streams of the last rows (a deployment's events come in runs). Besides the
/// allocations saved, shared strings compare equal at a glance.
struct RowStrings {
    private var types: [(bytes: ByteBuffer, text: String)] = []
    private var streams: [(bytes: ByteBuffer, text: String)] = []
    private var nextStream = 0

    /// At most this many type names are kept (a domain has a few dozen).
    private static let typeLimit = 64
    private static let streamLimit = 8

    mutating func type(_ bytes: ByteBuffer) -> String {
        if let known = types.first(where: { $0.bytes == bytes }) { return known.text }
        let text = String(buffer: bytes)
        if types.count < Self.typeLimit { types.append((bytes, text)) }
        return text
    }

    mutating func stream(_ bytes: ByteBuffer) -> String {
        if let known = streams.first(where: { $0.bytes == bytes }) { return known.text }
        let text = String(buffer: bytes)
        if streams.count < Self.streamLimit {
            streams.append((bytes, text))
        } else {
            streams[nextStream] = (bytes, text)
            nextStream = (nextStream + 1) % Self.streamLimit
        }
        return text
    }
}
