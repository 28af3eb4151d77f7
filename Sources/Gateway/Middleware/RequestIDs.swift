import Synchronization

/// New request ids for requests that bring none: UUID-shaped (8-4-4-4-12 lowercase hex), from a
/// random half drawn once per process and a counter — unique across processes and requests
/// without asking the system for randomness on every request.
enum RequestIDs {
    private static let processPart = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // Multiplying by an odd constant is a bijection: still unique, but an id does not tell
        // how many requests came before it.
        return format(processPart, count &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The 32 hex digits of `high` then `low`, dashed as a UUID.
    static func format(_ high: UInt64, _ low: UInt64) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, value) in [high, low].enumerated() {
            for nibble in 0..<16 {
                let position = index * 16 + nibble
                if position == 8 || position == 12 || position == 16 || position == 20 { text.append(UInt8(ascii: "-")) }
                text.append(digits[Int((value >> UInt64(60 - 4 * nibble)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
