/// What a writer believes a stream's current version to be when it appends (optimistic concurrency).
///
/// Stream versions count events: the first event of a stream has version 1, and a stream
/// with no events has version 0.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// Append whatever the stream's version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's current version must be exactly this (0 means the stream does not exist).
    case exact(Int64)

    /// Whether a stream currently at `actual` satisfies this expectation.
    public func isSatisfied(byCurrentVersion actual: Int64) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return actual == 0
        case .exact(let expected): return expected == actual
        }
    }

    /// Parses `any`, `no-stream` or a non-negative number, as the command line writes them.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "any": self = .any
        case "no-stream", "nostream", "no_stream": self = .noStream
        default:
            guard let number = Int64(text), number >= 0 else { return nil }
            self = .exact(number)
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .noStream: return "no-stream"
        case .exact(let version): return String(version)
        }
    }
}
