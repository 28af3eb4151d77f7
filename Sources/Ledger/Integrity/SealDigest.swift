import Crypto

/// Accumulates the digest of one seal: `SHA-256(previous_digest ‖ from ‖ to ‖ hash₁ ‖ … ‖ hashₙ)`
/// over the event hashes of a range of global positions, in position order. Each seal chains
/// to the one before it, so removing or rewriting a seal is as visible as rewriting an event.
public struct SealDigest {
    private var hasher = SHA256()
    /// How many event hashes went in so far.
    public private(set) var eventCount: Int64 = 0

    /// Starts the digest of the range `fromPosition...toPosition`.
    public init(previous: EventHash, fromPosition: Int64, toPosition: Int64) {
        hasher.update(data: previous.bytes)
        var header = [UInt8]()
        EventHasher.appendBigEndian(UInt64(bitPattern: fromPosition), to: &header)
        EventHasher.appendBigEndian(UInt64(bitPattern: toPosition), to: &header)
        hasher.update(data: header)
    }

    /// Adds the next event's hash.
    public mutating func add(_ hash: EventHash) {
        hasher.update(data: hash.bytes)
        eventCount += 1
    }

    /// The finished digest.
    public func finalize() -> EventHash {
        EventHash(unchecked: Array(hasher.finalize()))
    }
}
