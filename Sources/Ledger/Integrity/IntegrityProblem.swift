/// One way in which the stored log differs from what its hashes and seals prove.
public struct IntegrityProblem: Sendable, Hashable, CustomStringConvertible, Codable {
    /// What is wrong. New kinds may be added.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A global position is missing (a deleted row) or out of order.
        case positionHole = "position_hole"
        /// A stream's versions are not consecutive.
        case versionGap = "version_gap"
        /// An event's prev_hash is not the hash of its stream's previous event.
        case chainBroken = "chain_broken"
        /// An event's content no longer produces its stored hash (an edited or moved row).
        case contentMismatch = "content_mismatch"
        /// A seal's digest does not match the events of its range, or the seals do not chain.
        case sealMismatch = "seal_mismatch"
        /// The head counter or a stream's recorded head disagrees with the events (rows added or removed at the end).
        case headMismatch = "head_mismatch"
    }

    public var kind: Kind
    /// The first global position affected.
    public var position: Int64
    /// The stream affected, when one is known.
    public var streamID: String?
    public var detail: String

    public init(kind: Kind, position: Int64, streamID: String?, detail: String) {
        self.kind = kind
        self.position = position
        self.streamID = streamID
        self.detail = detail
    }

    /// The problem to name first: the lowest position among problems of single events, which
    /// are exact; a seal mismatch only says "somewhere in this range", so it comes first only
    /// when nothing more precise was found.
    public static func first(of problems: [IntegrityProblem]) -> IntegrityProblem? {
        let exact = problems.filter { $0.kind != .sealMismatch }
        return (exact.isEmpty ? problems : exact).min { $0.position < $1.position }
    }

    public var description: String {
        "position \(position)\(streamID.map { ", stream \($0)" } ?? ""): \(kind.rawValue): \(detail)"
    }
}
