import Foundation

/// A SHA-256 digest: an event's hash, the hash of its predecessor in the stream, or a seal digest.
///
/// The bytes are kept inline, not in an array: every event read carries two hashes, and a
/// rebuild reads millions of events.
public struct EventHash: Hashable, Sendable, CustomStringConvertible {
    /// The digest as four big-endian words, first bytes first.
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The all-zero hash that the first event of every stream chains to.
    public static let zero = EventHash(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Bytes known to be a 32-byte digest.
    package init(unchecked bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "a hash has 32 bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            switch index / 8 {
            case 0: words.0 = words.0 << 8 | UInt64(byte)
            case 1: words.1 = words.1 << 8 | UInt64(byte)
            case 2: words.2 = words.2 << 8 | UInt64(byte)
            default: words.3 = words.3 << 8 | UInt64(byte)
            }
        }
        self.init(words: words)
    }

    /// The 32 bytes of a digest just computed.
    init(digest: UnsafeRawBufferPointer) {
        precondition(digest.count == 32, "a hash has 32 bytes")
        self.init(words: (
            digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
            digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian,
            digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self).bigEndian,
            digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self).bigEndian))
    }

    /// Wraps stored bytes, refusing anything that is not 32 bytes long.
    public init(bytes: some Collection<UInt8>) throws(LedgerError) {
        guard bytes.count == 32 else {
            throw LedgerError(.invalidArgument, "a hash has 32 bytes, not \(bytes.count)")
        }
        self.init(unchecked: bytes)
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] {
        withBytes { Array($0) }
    }

    /// Calls `body` with the 32 digest bytes, without allocating.
    package func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var bigEndian = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
        return try withUnsafeBytes(of: &bigEndian) { try body($0) }
    }

    public static func == (left: EventHash, right: EventHash) -> Bool {
        left.words == right.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Lower-case hexadecimal, as printed and exported.
    public var hex: String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    public var description: String { hex }

    var data: Data { Data(bytes) }
}
