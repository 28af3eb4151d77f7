#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore

/// Encodes events as rows of PostgreSQL's `COPY … FROM STDIN` text format, in the column order
/// of ``columns``: tab-separated, `\N` for NULL, bytea as `\\x` hex, text escaped.
///
/// Used by bulk appends and by archive imports; both stream the rows while the server inserts.
/// It remembers the last timestamp it formatted, since the events of one batch share theirs.
public struct CopyTextEncoder {
    public static let columns = [
        "position", "event_id", "stream_id", "stream_version", "category", "event_type", "schema_version", "data", "metadata",
        "actor", "organisation", "correlation_id", "recorded_at", "prev_hash", "hash",
    ]

    /// `ledger.events` as postgres-nio's `copyFrom(table:)` needs it: it quotes the name as one
    /// identifier, so the inner quotes make it schema-qualified without touching `search_path`.
    public static let table = #"ledger"."events"#

    private var lastTimestamp: (microseconds: Int64, text: [UInt8])?

    public init() {}

    /// Appends `event`, reading the actor, organisation and correlation id from its metadata JSON.
    public mutating func append(_ event: RecordedEvent, to buffer: inout ByteBuffer) throws {
        append(event, metadata: try event.metadata(), to: &buffer)
    }

    /// Appends `event`, whose metadata JSON is already decoded as `metadata`.
    mutating func append(_ event: RecordedEvent, metadata: EventMetadata, to buffer: inout ByteBuffer) {
        buffer.writeString(String(event.position)); Self.tab(&buffer)
        Self.uuid(event.id, &buffer); Self.tab(&buffer)
        Self.text(event.streamID.rawValue, &buffer); Self.tab(&buffer)
        buffer.writeString(String(event.streamVersion)); Self.tab(&buffer)
        Self.text(event.streamID.category, &buffer); Self.tab(&buffer)
        Self.text(event.type, &buffer); Self.tab(&buffer)
        buffer.writeString(String(event.schemaVersion)); Self.tab(&buffer)
        event.data.withUnsafeBytes { Self.bytea($0, &buffer) }; Self.tab(&buffer)
        event.metadataJSON.withUnsafeBytes { Self.bytea($0, &buffer) }; Self.tab(&buffer)
        Self.optional(metadata.actor, &buffer); Self.tab(&buffer)
        Self.optional(metadata.organisation, &buffer); Self.tab(&buffer)
        if let correlation = metadata.correlationID { Self.uuid(correlation, &buffer) } else { buffer.writeStaticString("\\N") }
        Self.tab(&buffer)
        timestamp(event.recordedAtMicroseconds, &buffer); Self.tab(&buffer)
        event.previousHash.withBytes { Self.bytea($0, &buffer) }; Self.tab(&buffer)
        event.hash.withBytes { Self.bytea($0, &buffer) }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private static func tab(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\t")) }

    /// NULL for nil and for the empty string, as the append path stores them.
    private static func optional(_ value: String?, _ buffer: inout ByteBuffer) {
        if let value, !value.isEmpty { text(value, &buffer) } else { buffer.writeStaticString("\\N") }
    }

    /// Text with COPY's escapes for backslash, tab, newline and carriage return.
    private static func text(_ value: String, _ buffer: inout ByteBuffer) {
        let special: (UInt8) -> Bool = { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard value.utf8.contains(where: special) else {
            buffer.writeString(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// bytea in hex form; the backslash is doubled because COPY's text format unescapes it once.
    private static func bytea(_ bytes: UnsafeRawBufferPointer, _ buffer: inout ByteBuffer) {
        buffer.writeStaticString("\\\\x")
        let count = bytes.count * 2
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = hexDigit(byte >> 4)
                out[2 * index + 1] = hexDigit(byte & 0x0F)
            }
            return count
        }
    }

    /// The canonical 8-4-4-4-12 lower-case form, which PostgreSQL's uuid input reads.
    private static func uuid(_ id: UUID, _ buffer: inout ByteBuffer) {
        var value = id.uuid
        withUnsafeBytes(of: &value) { bytes in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 36) { out in
                var index = 0
                for (offset, byte) in bytes.enumerated() {
                    if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = hexDigit(byte >> 4)
                    out[index + 1] = hexDigit(byte & 0x0F)
                    index += 2
                }
                return 36
            }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, exact to the microsecond.
    private mutating func timestamp(_ microseconds: Int64, _ buffer: inout ByteBuffer) {
        if let last = lastTimestamp, last.microseconds == microseconds {
            buffer.writeBytes(last.text)
            return
        }
        var seconds = time_t(microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000)
        let fraction = Int(microseconds - Int64(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let micros = String(fraction)
        let text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: 6 - micros.count) + micros + "+00"
        lastTimestamp = (microseconds, Array(text.utf8))
        buffer.writeString(text)
    }
}
