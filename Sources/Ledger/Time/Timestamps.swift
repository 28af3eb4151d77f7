import Foundation

/// RFC 3339 times in UTC with exactly six fractional digits — the one way the ledger writes a
/// time (events' `recorded_at`, log lines, audit exports, CLI tables) and reads one back.
public enum Timestamps {
    /// Whole seconds in UTC (`2026-11-22T04:06:28Z`); a value type, so one serves every caller.
    private static let seconds = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)

    /// `2026-11-22T04:06:28.516945Z`.
    public static func format(_ microseconds: Int64) -> String {
        let split = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let (whole, fraction) = split.remainder < 0 ? (split.quotient - 1, split.remainder + 1_000_000) : split
        let text = Date(timeIntervalSince1970: TimeInterval(whole)).formatted(seconds)
        return text.dropLast() + "." + String(format: "%06lld", fraction) + "Z"
    }

    /// `2026-11-22 04:06:28`, for tables people read.
    public static func formatForPeople(_ microseconds: Int64) -> String {
        String(format(microseconds).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    /// Exactly what ``format(_:)`` writes, back to microseconds; anything else is nil.
    public static func parseExact(_ text: String) -> Int64? {
        guard text.hasSuffix("Z"), let dot = text.lastIndex(of: ".") else { return nil }
        let fraction = text[text.index(after: dot)..<text.index(before: text.endIndex)]
        guard fraction.count == 6, fraction.allSatisfy(\.isASCII), let micros = Int64(fraction),
            let date = try? seconds.parse(String(text[..<dot]) + "Z")
        else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + micros
    }

    /// Any RFC 3339 time (`Z` or an offset, with or without a fraction of up to nine digits)
    /// to microseconds since 1970; nil when it is not one.
    public static func parse(_ text: String) -> Int64? {
        var whole = text
        var micros: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9 else { return nil }
            micros = Int64(String(digits.prefix(6)).padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0
            whole = String(text[..<dot]) + String(text[digits.endIndex...])
        }
        guard let date = ISO8601DateFormatter().date(from: whole) else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + micros
    }
}
