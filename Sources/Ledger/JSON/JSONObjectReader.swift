/// The walk ``JSONObjectCheck`` makes over a payload's bytes: one value at a time, checked as
/// RFC 8259 has it, nothing built.
struct JSONObjectReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard next == byte else { return false }
        index += 1
        return true
    }

    mutating func value(depth: Int) -> Bool {
        skipWhitespace()
        guard let byte = next else { return false }
        switch byte {
        case UInt8(ascii: "{"):
            guard depth < JSONObjectCheck.maximumDepth else { return false }
            index += 1
            if consume(UInt8(ascii: "}")) { return true }
            repeat {
                skipWhitespace()
                guard string(), consume(UInt8(ascii: ":")), value(depth: depth + 1) else { return false }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard depth < JSONObjectCheck.maximumDepth else { return false }
            index += 1
            if consume(UInt8(ascii: "]")) { return true }
            repeat {
                guard value(depth: depth + 1) else { return false }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "]"))
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, and finite as a `Double`.
    mutating func number() -> Bool {
        let start = index
        if next == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        guard digits() else { return false }
        if index - integerStart > 1 && bytes[integerStart] == UInt8(ascii: "0") { return false }
        var digitCount = index - integerStart
        var hasExponent = false
        if next == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            guard digits() else { return false }
            digitCount += index - fractionStart
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
            hasExponent = true
        }
        // Only long or scaled numbers can leave Double's range; the rest need no conversion.
        guard hasExponent || digitCount > 300 else { return true }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return Double(text)?.isFinite ?? false
    }

    /// One or more decimal digits.
    mutating func digits() -> Bool {
        let start = index
        while let byte = next, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    /// A string: escapes well formed, no raw control characters, valid UTF-8.
    mutating func string() -> Bool {
        guard next == UInt8(ascii: "\"") else { return false }
        index += 1
        while let byte = next {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return true
            case UInt8(ascii: "\\"): guard escape() else { return false }
            case 0..<0x20: return false
            case 0x80...: guard multiByteScalar(lead: byte) else { return false }
            default: continue
            }
        }
        return false
    }

    /// What follows a backslash; a `\u` high surrogate must be followed by a low one.
    mutating func escape() -> Bool {
        guard let byte = next else { return false }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return true
        case UInt8(ascii: "u"):
            guard let unit = hex4() else { return false }
            if (0xDC00...0xDFFF).contains(unit) { return false }
            guard (0xD800...0xDBFF).contains(unit) else { return true }
            guard literal("\\u"), let low = hex4() else { return false }
            return (0xDC00...0xDFFF).contains(low)
        default:
            return false
        }
    }

    mutating func hex4() -> UInt32? {
        bytes.jsonHex4(at: &index)
    }

    /// The rest of a UTF-8 sequence whose lead byte was just read: no overlong forms, no
    /// surrogates, nothing above U+10FFFF (the Unicode standard's table of well-formed bytes).
    mutating func multiByteScalar(lead: UInt8) -> Bool {
        let second: ClosedRange<UInt8>
        let continuations: Int
        switch lead {
        case 0xC2...0xDF: (second, continuations) = (0x80...0xBF, 0)
        case 0xE0: (second, continuations) = (0xA0...0xBF, 1)
        case 0xE1...0xEC, 0xEE...0xEF: (second, continuations) = (0x80...0xBF, 1)
        case 0xED: (second, continuations) = (0x80...0x9F, 1)
        case 0xF0: (second, continuations) = (0x90...0xBF, 2)
        case 0xF1...0xF3: (second, continuations) = (0x80...0xBF, 2)
        case 0xF4: (second, continuations) = (0x80...0x8F, 2)
        default: return false
        }
        guard let byte = next, second.contains(byte) else { return false }
        index += 1
        for _ in 0..<continuations {
            guard let byte = next, (0x80...0xBF).contains(byte) else { return false }
            index += 1
        }
        return true
    }
}
