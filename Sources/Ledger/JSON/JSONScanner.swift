/// A strict, allocation-light reader of JSON bytes for the few hot event shapes that are decoded
/// millions of times during a rebuild. It reads only plain JSON (RFC 8259) and answers nil at
/// the first thing it does not expect, so callers fall back to `JSONDecoder`: it may refuse
/// valid input, but it never accepts anything `JSONDecoder` would read differently.
package struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private(set) var index = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    package var atEnd: Bool {
        mutating get {
            skipWhitespace()
            return index == bytes.count
        }
    }

    package mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    /// Consumes `byte` (after whitespace) if it is next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next byte after whitespace, not consumed.
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Consumes the literal `null` if it is next.
    package mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == 0x6E, bytes[index + 1] == 0x75, bytes[index + 2] == 0x6C, bytes[index + 3] == 0x6C
        else { return false }
        index += 4
        return true
    }

    /// Consumes the literal `true` or `false` if it is next.
    package mutating func bool() -> Bool? {
        skipWhitespace()
        if index + 4 <= bytes.count, bytes[index] == 0x74, bytes[index + 1] == 0x72, bytes[index + 2] == 0x75, bytes[index + 3] == 0x65 {
            index += 4
            return true
        }
        if index + 5 <= bytes.count, bytes[index] == 0x66, bytes[index + 1] == 0x61, bytes[index + 2] == 0x6C, bytes[index + 3] == 0x73,
            bytes[index + 4] == 0x65
        {
            index += 5
            return false
        }
        return nil
    }

    /// Walks an object's members: `member` is called with each key, positioned at its value, and
    /// must consume the value. False when the object is malformed or `member` refused.
    package mutating func object(_ member: (inout JSONScanner, String) -> Bool) -> Bool {
        guard consume(0x7B) else { return false }
        if consume(0x7D) { return true }
        repeat {
            guard let key = string(), consume(0x3A), member(&self, key) else { return false }
        } while consume(0x2C)
        return consume(0x7D)
    }

    /// Walks an array's elements: `element` must consume each one.
    package mutating func array(_ element: (inout JSONScanner) -> Bool) -> Bool {
        guard consume(0x5B) else { return false }
        if consume(0x5D) { return true }
        repeat {
            guard element(&self) else { return false }
        } while consume(0x2C)
        return consume(0x5D)
    }

    /// A string value, escapes resolved; nil for anything else or invalid UTF-8.
    package mutating func string() -> String? {
        guard consume(0x22) else { return nil }
        let start = index
        var ascii = true
        // The common case: no escapes, so the bytes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                defer { index += 1 }
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                // ASCII is valid UTF-8 as it is; only other text needs validating (the slower call).
                return ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
            }
            if byte == 0x5C { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        return nil
    }

    private mutating func escapedString(from start: Int) -> String? {
        var utf8 = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x22:
                return String(validating: utf8, as: UTF8.self)
            case 0x5C:
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: utf8.append(escape)
                case 0x62: utf8.append(0x08)
                case 0x66: utf8.append(0x0C)
                case 0x6E: utf8.append(0x0A)
                case 0x72: utf8.append(0x0D)
                case 0x74: utf8.append(0x09)
                case 0x75:
                    guard let scalar = unicodeEscape() else { return nil }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                utf8.append(byte)
            }
        }
        return nil
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair; nil for a lone surrogate.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        if (0xD800...0xDBFF).contains(high) {
            guard index + 2 <= bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { return nil }
            index += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high)
    }

    private mutating func hex4() -> UInt32? {
        bytes.jsonHex4(at: &index)
    }

    /// A whole number in plain notation (`-?(0|[1-9][0-9]*)`) that fits an Int64; nil otherwise
    /// (fractions and exponents are left to `JSONDecoder`).
    package mutating func int64() -> Int64? {
        skipWhitespace()
        let negative = index < bytes.count && bytes[index] == 0x2D
        if negative { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
            let digit = Int64(bytes[index] - 0x30)
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == 0x30) else { return nil }
        // A fraction or exponent follows: not a plain whole number.
        if index < bytes.count, bytes[index] == 0x2E || bytes[index] == 0x65 || bytes[index] == 0x45 { return nil }
        return value
    }
}
