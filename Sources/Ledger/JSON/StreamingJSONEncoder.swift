import Foundation

/// Encodes `Encodable` values to JSON by writing straight into one byte buffer, for the hot
/// paths that encode many values (projection rows during a rebuild). Foundation's
/// `JSONEncoder` first builds a tree of the whole value and then serialises it; this encoder
/// writes as the value's `encode(to:)` runs, several times faster for the same JSON meaning.
///
/// The output decodes with ``LedgerJSON/decode(_:from:)`` to the same value as
/// ``LedgerJSON/encode(_:)``'s: dates as ISO 8601 strings, data as Base64, absent optionals
/// left out. Keys keep the order the value encodes them in (not sorted), so use it where the
/// bytes are not hashed. A value whose `encode(to:)` writes nothing becomes `{}`, as with
/// `JSONEncoder`. `superEncoder()` is not supported (no synthesised conformance uses it).
public struct StreamingJSONEncoder: Sendable {
    /// Whether NUL characters in strings become U+FFFD: PostgreSQL's `jsonb` and `text` cannot
    /// hold them, and a read model would rather show a replacement character than stop.
    public var replacesNUL: Bool

    public init(replacesNUL: Bool = false) {
        self.replacesNUL = replacesNUL
    }

    /// The JSON text of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> String {
        let output = JSONOutput(replacesNUL: replacesNUL)
        try output.write(value, depth: 0)
        output.close(downTo: 0)
        return String(decoding: output.bytes, as: UTF8.self)
    }
}

/// The buffer one encoding writes into, and the containers still open in it. A container is
/// closed when something is written at a shallower depth (or at the end): `Encoder` never says
/// when a container is finished, but synthesised conformances finish one before the next.
///
/// Its two buffers skip the runtime's exclusivity check (one per append otherwise, a tenth of a
/// rebuild's encoding time): one encoding owns the output, and no method reaches either buffer
/// while it holds an access to it.
final class JSONOutput {
    @exclusivity(unchecked) var bytes: [UInt8] = []
    /// Open containers, outermost first: the byte that closes each, and whether it has an element yet.
    @exclusivity(unchecked) private var open: [(closer: UInt8, hasElements: Bool)] = []
    let replacesNUL: Bool

    init(replacesNUL: Bool) {
        self.replacesNUL = replacesNUL
        bytes.reserveCapacity(1024)
    }

    func close(downTo depth: Int) {
        while open.count > depth { bytes.append(open.removeLast().closer) }
    }

    /// Starts an object or array as the value at `depth`.
    func openContainer(_ opener: UInt8, _ closer: UInt8, depth: Int) {
        close(downTo: depth)
        bytes.append(opener)
        open.append((closer, false))
    }

    /// Gets ready for the next element of the container at `depth`: closes deeper ones, adds a comma.
    func beginElement(inContainerAt depth: Int) {
        close(downTo: depth + 1)
        guard depth < open.count else { return }
        if open[depth].hasElements { bytes.append(UInt8(ascii: ",")) }
        open[depth].hasElements = true
    }

    func writeKey(_ key: some CodingKey, inContainerAt depth: Int) {
        beginElement(inContainerAt: depth)
        writeString(key.stringValue)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes `value` as the value at `depth`.
    func write<T: Encodable>(_ value: T, depth: Int) throws {
        if T.self == Date.self {
            writeString((value as! Date).formatted(.iso8601))
        } else if T.self == Data.self {
            writeString((value as! Data).base64EncodedString())
        } else if T.self == URL.self {
            writeString((value as! URL).absoluteString)
        } else {
            let before = bytes.count
            try value.encode(to: StreamingEncoder(output: self, depth: depth))
            if bytes.count == before { bytes.append(contentsOf: "{}".utf8) }
        }
    }

    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
        case 0 where replacesNUL: bytes.append(contentsOf: "\u{FFFD}".utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: #"\u00"#.utf8)
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0xF)])
        }
    }

    func writeInteger(_ value: some FixedWidthInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    func writeFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: codingPath, debugDescription: "\(value) is not valid JSON"))
        }
        bytes.append(contentsOf: value.description.utf8)
    }

    func writeLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
