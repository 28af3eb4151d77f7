import Ledger
import Logging
import PostgresNIO

/// A read model derived from the log: its tables, the event types it reads, and how a batch of
/// those events changes its rows.
///
/// The runner calls ``apply(_:schema:connection:logger:)`` inside a transaction that also
/// moves the projection's checkpoint, so rows and checkpoint commit together (invariant 6).
/// `apply` must be deterministic — a function of the events alone — so that a rebuild from
/// position 0 gives exactly the live rows (invariant 7).
public protocol Projection: Sendable {
    /// Lowercase letters and `_`; the live tables are in schema `proj_<name>`.
    var name: String { get }
    /// Bump it when the rows change shape or meaning: a runner starting with a newer version
    /// than the live copy rebuilds it by itself.
    var version: Int { get }
    /// The only event types a rebuild reads.
    var eventTypes: Set<String> { get }
    /// The projection's tables (without schema), for comparisons and status.
    var tables: [String] { get }
    /// `CREATE TABLE`/`CREATE INDEX` statements for its tables inside `schema`.
    func definitions(schema: String) -> [String]
    /// Applies events (only of ``eventTypes``, in position order) to the tables in `schema`.
    func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws
    /// Called once a rebuild has applied every batch to its fresh copy, with the scratch memory
    /// its batches carried: whatever the projection kept there unwritten must be written now.
    func finishBuild(_ scratch: ProjectionScratch, schema: String, connection: PostgresConnection, logger: Logger) async throws
}

extension Projection {
    public func finishBuild(_ scratch: ProjectionScratch, schema: String, connection: PostgresConnection, logger: Logger) async throws {}
}

/// One event a projection could not apply: what stops that projection (and only it) until a
/// fix. Names the position, the event type and the reason.
public struct ProjectionEventError: Error, Sendable, CustomStringConvertible {
    public var position: Int64
    public var eventType: String
    public var reason: String

    public init(position: Int64, eventType: String, reason: String) {
        self.position = position
        self.eventType = eventType
        self.reason = reason
    }

    public var description: String { "event \(position) (\(eventType)): \(reason)" }
}

extension RecordedEvent {
    static func reason(_ error: any Error) -> String {
        if let error = error as? LedgerError { return error.message }
        if let error = error as? DecodingError {
            switch error {
            case .keyNotFound(let key, let context): return "missing \(context.codingPath.map(\.stringValue) + [key.stringValue])"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                return "bad value at \(context.codingPath.map(\.stringValue)): \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
