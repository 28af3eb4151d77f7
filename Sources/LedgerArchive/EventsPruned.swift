import Foundation
import Ledger

/// Recorded in the log (stream `retention-log`) each time `ledger prune` removes events from the
/// hot database: which range, which events (count and digest over their hashes), and the archive
/// that holds them.
public struct EventsPruned: LedgerEvent, Equatable {
    public static let eventType = "EventsPruned"
    public static let stream = "retention-log"

    public var pruningNumber: Int64
    public var fromPosition: Int64
    public var toPosition: Int64
    public var before: Date
    public var categories: [String]
    public var eventTypes: [String]
    public var eventCount: Int64
    /// SHA-256 over the pruned events' hashes in position order (hex).
    public var digest: String
    /// The covering archive's manifest digest (hex).
    public var archiveDigest: String
    public var actor: String

    enum CodingKeys: String, CodingKey {
        case pruningNumber = "pruning_number", fromPosition = "from_position", toPosition = "to_position", before
        case categories, eventTypes = "event_types", eventCount = "event_count", digest, archiveDigest = "archive_digest", actor
    }
}
