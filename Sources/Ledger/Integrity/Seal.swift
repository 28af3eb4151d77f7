/// A sealed digest over a consecutive range of global positions (see ``SealDigest``).
public struct Seal: Sendable, Hashable, Codable {
    public var number: Int64
    public var fromPosition: Int64
    public var toPosition: Int64
    public var eventCount: Int64
    public var digest: EventHash
    /// The digest of the seal before (all zero for the first), which this one chains to.
    public var previousDigest: EventHash

    public init(number: Int64, fromPosition: Int64, toPosition: Int64, eventCount: Int64, digest: EventHash, previousDigest: EventHash) {
        self.number = number
        self.fromPosition = fromPosition
        self.toPosition = toPosition
        self.eventCount = eventCount
        self.digest = digest
        self.previousDigest = previousDigest
    }
}

extension EventHash: Codable {
    public init(from decoder: any Decoder) throws {
        let hex = try decoder.singleValueContainer().decode(String.self)
        guard hex.count == 64 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a hash is 64 hex digits"))
        }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a hash is 64 hex digits"))
            }
            bytes.append(byte)
            index = next
        }
        self.init(unchecked: bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
