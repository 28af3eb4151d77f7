/// The name of one event stream, such as `deployment-7f3c…`.
///
/// The part before the first `-` is the stream's category (`deployment`), which readers of all
/// streams can filter on. Names are 1–200 characters with no whitespace or control characters,
/// so they print safely and hash unambiguously.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The full stream name.
    public let rawValue: String

    /// The longest stream name accepted.
    public static let maximumLength = 200

    /// Validates `rawValue` and wraps it.
    public init(_ rawValue: String) throws(LedgerError) {
        guard !rawValue.isEmpty, rawValue.count <= Self.maximumLength else {
            throw LedgerError(.invalidStreamID, "stream id must be 1–\(Self.maximumLength) characters")
        }
        guard rawValue.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw LedgerError(.invalidStreamID, "stream id must not contain whitespace or control characters")
        }
        self.rawValue = rawValue
    }

    /// The stream's category: everything before the first `-`, or the whole name when it has none.
    public var category: String {
        if let dash = rawValue.firstIndex(of: "-") { return String(rawValue[..<dash]) }
        return rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(raw) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension StreamID {
    /// Wraps a name read back from the log, which was validated when it was appended.
    package init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }
}
