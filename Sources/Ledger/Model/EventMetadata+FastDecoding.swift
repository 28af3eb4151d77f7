import Foundation

extension EventMetadata {
    /// Decodes the plain shape ``LedgerJSON`` writes without `JSONDecoder` (the audit read model
    /// reads the metadata of every action, and a rebuild reads all of them): every key known, at
    /// most once, each value a string or `null`, ids well-formed. Nil for anything else, which
    /// `JSONDecoder` then accepts or rejects as usual.
    public static func fastDecode(_ data: Data) -> EventMetadata? {
        var metadata = EventMetadata()
        var seen: Set<String> = []
        let parsed = data.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            return scanner.object { scanner, key in
                guard seen.insert(key).inserted else { return false }
                if scanner.consumeNull() { return CodingKeys(rawValue: key) != nil }
                guard let text = scanner.string() else { return false }
                switch CodingKeys(rawValue: key) {
                case .actor: metadata.actor = text
                case .organisation: metadata.organisation = text
                case .project: metadata.project = text
                case .requestID: metadata.requestID = text
                case .source: metadata.source = text
                case .correlationID:
                    guard let id = UUID(uuidString: text) else { return false }
                    metadata.correlationID = id
                case .causationID:
                    guard let id = UUID(uuidString: text) else { return false }
                    metadata.causationID = id
                case nil: return false
                }
                return true
            } && scanner.atEnd
        }
        return parsed ? metadata : nil
    }
}
