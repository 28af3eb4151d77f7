import Foundation

/// A typed event payload: a `Codable` value with a stable type name and a schema version.
///
/// Business code appends and reads these; the store itself only sees their JSON bytes.
public protocol LedgerEvent: Codable, Sendable {
    /// The stable name stored with the event, e.g. `DeploymentRequested`. Never rename it.
    static var eventType: String { get }
    /// The version of this payload's shape; bump it when the shape changes and upcast old ones.
    static var schemaVersion: Int { get }
}

extension LedgerEvent {
    public static var schemaVersion: Int { 1 }
}

/// The one JSON encoder and decoder every payload goes through, so equal values give equal bytes.
public enum LedgerJSON {
    /// Encodes with sorted keys and ISO-8601 dates: deterministic bytes for hashing and idempotency.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    /// Decodes what ``encode(_:)`` wrote.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }
}
