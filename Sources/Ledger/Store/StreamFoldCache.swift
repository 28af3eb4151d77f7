import Synchronization

/// Values folded from a stream, each as of a stream version, kept per store so that the next
/// fold reads and applies only the events appended since. Streams are append-only with gapless
/// versions, so the value folded through a version never changes; a missing or evicted entry
/// only costs a full read.
public final class StreamFoldCache: Sendable {
    /// Beyond this many values the cache starts over.
    static let capacity = 10_000

    private struct Entry: @unchecked Sendable {
        let version: Int64
        // Only ever a `T: Sendable` stored by `keep` and read back as that same `T`.
        let value: Any
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// The value of type `T` folded from `stream` through the version returned, if kept.
    public func value<T: Sendable>(_ type: T.Type, of stream: StreamID) -> (version: Int64, value: T)? {
        entries.withLock { entries in
            guard let entry = entries[Self.key(T.self, stream)], let value = entry.value as? T else { return nil }
            return (entry.version, value)
        }
    }

    /// Keeps `value`, folded from `stream` through `version` (a later version replaces an earlier one, never the reverse).
    public func keep<T: Sendable>(_ value: T, of stream: StreamID, through version: Int64) {
        let key = Self.key(T.self, stream)
        entries.withLock { entries in
            if let kept = entries[key], kept.version >= version { return }
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(version: version, value: value)
        }
    }

    private static func key<T>(_ type: T.Type, _ stream: StreamID) -> String { "\(T.self)|\(stream.rawValue)" }
}
