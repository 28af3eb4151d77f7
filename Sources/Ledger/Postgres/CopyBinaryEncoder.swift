import Foundation
import NIOCore

/// Encodes events as rows of PostgreSQL's binary `COPY … FROM STDIN` format, in the column order
/// of ``CopyTextEncoder/columns``: a signature and header, each row as a field count and
/// length-prefixed fields in the types' binary forms (`bigint` and `integer` big-endian, `uuid`
/// as its 16 bytes, `text` as UTF-8, `bytea` as its bytes, `timestamptz` as microseconds since
/// 2000-01-01 UTC), and a trailer.
///
/// The bulk append path sends its rows this way: the server reads bytes it would otherwise parse
/// from hex and text (a fifth to a third less of its time per row for the log's rows: docs/performance.md).
/// Text fields are converted from the client encoding like any text the server receives; the
/// ledger's connections use UTF-8.
struct CopyBinaryEncoder {
    /// The columns for postgres-nio's `copyFrom(table:columns:)`, which writes `WITH (FORMAT text)`
    /// after the list it quotes and has no binary option: the last name closes the list itself,
    /// asks for the binary format and comments out the rest of that one-line statement. Constant
    /// text, as the table name with its inner quotes (``CopyTextEncoder/table``).
    static let columnsSelectingBinary: [String] = {
        var columns = CopyTextEncoder.columns
        columns[columns.count - 1] += #"") FROM STDIN WITH (FORMAT binary) --"#
        return columns
    }()

    /// The signature, then flags and header extension length (both zero): what every binary COPY starts with.
    private static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]

    static func writeHeader(to buffer: inout ByteBuffer) {
        buffer.writeBytes(header)
    }

    /// The field count of -1 that ends the data.
    static func writeTrailer(to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(-1))
    }

    /// Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01 UTC.
    private static let postgresEpochMicroseconds: Int64 = 946_684_800 * 1_000_000

    /// Appends `event`, whose metadata JSON is already decoded as `metadata`.
    static func append(_ event: RecordedEvent, metadata: EventMetadata, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(CopyTextEncoder.columns.count))
        bigint(event.position, &buffer)
        uuid(event.id, &buffer)
        text(event.streamID.rawValue, &buffer)
        bigint(event.streamVersion, &buffer)
        text(event.streamID.category, &buffer)
        text(event.type, &buffer)
        buffer.writeInteger(Int32(4))
        buffer.writeInteger(Int32(event.schemaVersion))
        event.data.withUnsafeBytes { bytes(UnsafeRawBufferPointer($0), &buffer) }
        event.metadataJSON.withUnsafeBytes { bytes(UnsafeRawBufferPointer($0), &buffer) }
        optional(metadata.actor, &buffer)
        optional(metadata.organisation, &buffer)
        if let correlation = metadata.correlationID { uuid(correlation, &buffer) } else { null(&buffer) }
        bigint(event.recordedAtMicroseconds - postgresEpochMicroseconds, &buffer)
        event.previousHash.withBytes { bytes($0, &buffer) }
        event.hash.withBytes { bytes($0, &buffer) }
    }

    private static func null(_ buffer: inout ByteBuffer) { buffer.writeInteger(Int32(-1)) }

    private static func bigint(_ value: Int64, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(value)
    }

    private static func uuid(_ id: UUID, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(16))
        var value = id.uuid
        withUnsafeBytes(of: &value) { _ = buffer.writeBytes($0) }
    }

    private static func text(_ value: String, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(value.utf8.count))
        buffer.writeString(value)
    }

    /// NULL for nil and for the empty string, as the append path stores them.
    private static func optional(_ value: String?, _ buffer: inout ByteBuffer) {
        if let value, !value.isEmpty { text(value, &buffer) } else { null(&buffer) }
    }

    private static func bytes(_ bytes: UnsafeRawBufferPointer, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(bytes.count))
        buffer.writeBytes(bytes)
    }
}
