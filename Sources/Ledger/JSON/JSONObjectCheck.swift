import Foundation

/// Checks that bytes are exactly one JSON object (RFC 8259, UTF-8), without building any values.
///
/// Every appended event's payload passes through here, so it walks the bytes once instead of
/// parsing them into dictionaries. It is stricter than `JSONSerialization` where that one is
/// lenient (trailing commas, a byte-order mark), and refuses what Foundation could not decode
/// later either: lone surrogate escapes, numbers beyond `Double`'s range, nesting deeper than
/// ``maximumDepth``.
public enum JSONObjectCheck {
    /// Deeper nesting is refused (Foundation's own decoder gives up at 512).
    static let maximumDepth = 500

    public static func isObject(_ data: Data) -> Bool {
        return data.withUnsafeBytes { bytes in
            var reader = JSONObjectReader(bytes: bytes)
            reader.skipWhitespace()
            guard reader.next == UInt8(ascii: "{"), reader.value(depth: 0) else { return false }
            reader.skipWhitespace()
            return reader.index == bytes.count
        }
    }
}
