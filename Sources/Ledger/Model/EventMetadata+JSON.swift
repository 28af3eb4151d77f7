import Foundation

extension EventMetadata {
    /// The metadata as compact JSON with sorted keys and absent fields left out — the bytes
    /// stored and hashed. Written by hand because it runs once per event on the append path,
    /// where a `JSONEncoder` per event cost more than the rest of the append.
    public func jsonData() -> Data {
        var fields: [(String, String)] = []
        if let actor { fields.append(("actor", actor)) }
        if let causationID { fields.append(("causation_id", causationID.uuidString)) }
        if let correlationID { fields.append(("correlation_id", correlationID.uuidString)) }
        if let organisation { fields.append(("organisation", organisation)) }
        if let project { fields.append(("project", project)) }
        if let requestID { fields.append(("request_id", requestID)) }
        if let source { fields.append(("source", source)) }
        var text = "{"
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { text += "," }
            text += "\"\(key)\":"
            JSONText.appendQuoted(value, to: &text)
        }
        text += "}"
        return Data(text.utf8)
    }
}

/// Minimal JSON string quoting (RFC 8259): quotes, backslashes and control characters escaped.
enum JSONText {
    static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
