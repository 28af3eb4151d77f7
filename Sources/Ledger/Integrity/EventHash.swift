import Foundation

/// A SHA-256 digest: an event's hash, the hash of its predecessor in the stream, or a seal digest.
public struct EventHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// The all-zero hash that the first event of every stream chains to.
    public static let zero = EventHash(unchecked: [UInt8](repeating: 0, count: 32))

    package init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Wraps stored bytes, refusing anything that is not 32 bytes long.
    public init(bytes: some Collection<UInt8>) throws(LedgerError) {
        guard bytes.count == 32 else {
            throw LedgerError(.invalidArgument, "a hash has 32 bytes, not \(bytes.count)")
        }
        self.bytes = Array(bytes)
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
