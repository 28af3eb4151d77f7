import Foundation

/// An append reused an event id that the log already holds for a different event (another
/// stream, type or payload), or mixed already-written ids with new ones. A genuine retry
/// resends the same events with the same ids and is answered with the original result instead.
public struct EventIDReused: CodedError, Sendable, Hashable, CustomStringConvertible {
    public var errorCode: String { "event_id_reused" }
    public var eventID: UUID
    /// Where the existing event with that id sits.
    public var existingPosition: Int64

    public init(eventID: UUID, existingPosition: Int64) {
        self.eventID = eventID
        self.existingPosition = existingPosition
    }

    public var description: String {
        "event id \(eventID) is already used by a different event at position \(existingPosition)"
    }
}
