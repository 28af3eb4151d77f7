import PostgresNIO
import Logging
import Foundation
import Ledger

/// Renders events as one JSON object per line: the envelope, with payload and metadata
/// embedded as the exact JSON bytes that were appended.
enum EventJSON {
    static func line(_ event: RecordedEvent) -> String {
        var text = "{\"position\":\(event.position),\"stream\":\(string(event.streamID.rawValue))"
        text += ",\"version\":\(event.streamVersion),\"id\":\"\(event.id.uuidString.lowercased())\""
        text += ",\"type\":\(string(event.type)),\"schema_version\":\(event.schemaVersion)"
        text += ",\"recorded_at\":\"\(timestamp(event.recordedAtMicroseconds))\""
        text += ",\"data\":" + String(decoding: event.data, as: UTF8.self)
        text += ",\"metadata\":" + String(decoding: event.metadataJSON, as: UTF8.self)
        text += ",\"hash\":\"\(event.hash.hex)\"}"
        return text
    }

    static func string(_ value: String) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "\"\""
    }

    /// RFC 3339 in UTC with microseconds, exactly as stored.
    static func timestamp(_ microseconds: Int64) -> String {
        let seconds = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        var whole = seconds.quotient
        var fraction = seconds.remainder
        if fraction < 0 { whole -= 1; fraction += 1_000_000 }
        let date = Date(timeIntervalSince1970: TimeInterval(whole))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(fraction))
    }
}
