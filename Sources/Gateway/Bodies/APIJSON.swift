import Foundation

/// The API's one JSON coding: bodies are declared in Swift's names (`organizationID`,
/// `memoryMB`) and travel in the seed's snake_case (`organization_id`, `memory_mb`), by one
/// strategy instead of a hand-written key list per body. Dictionary keys (settings, extra data)
/// travel as they are. Output has sorted keys and ISO 8601 dates, as every answer had.
enum APIJSON {
    /// Abbreviations our names write in capitals after their first word (`keyID`, `diskGB`).
    static let initialisms: Set<Substring> = ["id", "mb", "gb", "url"]

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.keyDecodingStrategy = .custom { path in SwiftName(swiftName(path.last?.stringValue ?? "")) }
        return try decoder.decode(type, from: data)
    }

    /// `organization_id` → `organizationID`, `memory_mb` → `memoryMB`, `ssh_user` → `sshUser`.
    static func swiftName(_ key: String) -> String {
        let words = key.split(separator: "_", omittingEmptySubsequences: false)
        guard words.count > 1 else { return key }
        return words.enumerated().map { index, word in
            if index == 0 { return String(word) }
            return initialisms.contains(word) ? word.uppercased() : word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    /// `organizationID` → `organization_id`: the name a field travels under (as the encoder writes it).
    static func wireName(_ name: String) -> String {
        var out = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("_") }
            }
            out.append(contentsOf: character.lowercased())
        }
        return out
    }

    private struct SwiftName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
