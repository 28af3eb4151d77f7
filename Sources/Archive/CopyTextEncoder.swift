#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Ledger
import NIOCore

/// Encodes events as rows of PostgreSQL's `COPY … FROM STDIN` text format, in the column order
/// of ``columns``: tab-separated, `\N` for NULL, bytea as `\\x` hex, text escaped.
struct CopyTextEncoder {
    static let columns = [
        "position", "event_id", "stream_id", "stream_version", "category", "event_type", "schema_version", "data", "metadata",
        "actor", "organisation", "correlation_id", "recorded_at", "prev_hash", "hash",
    ]

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func append(_ event: RecordedEvent, to buffer: inout ByteBuffer) throws {
        let metadata = try event.metadata()
        buffer.writeString(String(event.position)); tab(&buffer)
        buffer.writeString(event.id.uuidString); tab(&buffer)
        text(event.streamID.rawValue, &buffer); tab(&buffer)
        buffer.writeString(String(event.streamVersion)); tab(&buffer)
        text(event.streamID.category, &buffer); tab(&buffer)
        text(event.type, &buffer); tab(&buffer)
        buffer.writeString(String(event.schemaVersion)); tab(&buffer)
        bytea(event.data, &buffer); tab(&buffer)
        bytea(event.metadataJSON, &buffer); tab(&buffer)
        optional(metadata.actor, &buffer); tab(&buffer)
        optional(metadata.organisation, &buffer); tab(&buffer)
        optional(metadata.correlationID?.uuidString, &buffer); tab(&buffer)
        timestamp(event.recordedAtMicroseconds, &buffer); tab(&buffer)
        bytea(event.previousHash.bytes, &buffer); tab(&buffer)
        bytea(event.hash.bytes, &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private static func tab(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\t")) }

    /// NULL for nil and for the empty string, as the append path stores them.
    private static func optional(_ value: String?, _ buffer: inout ByteBuffer) {
        if let value, !value.isEmpty { text(value, &buffer) } else { buffer.writeStaticString("\\N") }
    }

    /// Text with COPY's escapes for backslash, tab, newline and carriage return.
    private static func text(_ value: String, _ buffer: inout ByteBuffer) {
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

    /// bytea in hex form; the backslash is doubled because COPY's text format unescapes it once.
    private static func bytea(_ bytes: some Collection<UInt8>, _ buffer: inout ByteBuffer) {
        buffer.writeStaticString("\\\\x")
        let count = bytes.count * 2
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            var index = 0
            for byte in bytes {
                out[index] = hexDigits[Int(byte >> 4)]
                out[index + 1] = hexDigits[Int(byte & 0x0F)]
                index += 2
            }
            return count
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, exact to the microsecond.
    private static func timestamp(_ microseconds: Int64, _ buffer: inout ByteBuffer) {
        var seconds = time_t(microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000)
        let fraction = Int(microseconds - Int64(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let micros = String(fraction)
        buffer.writeString(
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
                + String(repeating: "0", count: 6 - micros.count) + micros + "+00")
    }
}
