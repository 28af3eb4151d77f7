import Foundation

extension RecordedEvent {
    /// The event as one JSON object (for `ledger read`/`tail`, exports and the API): the
    /// envelope, with payload and metadata embedded as the exact JSON bytes that were appended.
    public var jsonLine: String {
        var text = "{\"position\":\(position),\"stream\":\(Self.jsonString(streamID.rawValue))"
        text += ",\"version\":\(streamVersion),\"id\":\"\(id.uuidString.lowercased())\""
        text += ",\"type\":\(Self.jsonString(type)),\"schema_version\":\(schemaVersion)"
        text += ",\"recorded_at\":\"\(Timestamps.format(recordedAtMicroseconds))\""
        text += ",\"data\":" + String(decoding: data, as: UTF8.self)
        text += ",\"metadata\":" + String(decoding: metadataJSON, as: UTF8.self)
        text += ",\"hash\":\"\(hash.hex)\"}"
        return text
    }

    private static func jsonString(_ value: String) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "\"\""
    }
}
