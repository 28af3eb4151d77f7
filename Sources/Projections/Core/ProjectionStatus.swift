import Foundation
import Ledger
import Logging
import PostgresNIO

/// One projection as `ledger projections status` shows it: where it is, how far behind the log,
/// how fast it moves, and what stopped it if something did.
public struct ProjectionStatus: Sendable, Codable {
    public var name: String
    /// The version this build of the code has.
    public var codeVersion: Int
    /// The version of the live copy (nil: never built).
    public var liveVersion: Int?
    public var position: Int64
    public var head: Int64
    public var lag: Int64 { max(0, head - position) }
    /// Events per second recently applied (0 when idle).
    public var rate: Double
    /// Events applied since the copy was built.
    public var events: Int64
    /// `running`, `failed` or `missing`.
    public var state: String
    public var failedPosition: Int64?
    public var failedEventType: String?
    public var failedError: String?

    /// Reads the status of `projections`.
    public static func read(
        _ projections: [any Projection], client: PostgresClient, store: EventStore, logger: Logger
    ) async throws -> [ProjectionStatus] {
        let head = try await store.headPosition()
        var statuses: [ProjectionStatus] = []
        for projection in projections {
            var status = ProjectionStatus(
                name: projection.name, codeVersion: projection.version, position: 0, head: head, rate: 0, events: 0, state: "missing")
            let rows = try await client.liveQuery(
                """
                SELECT version, status, failed_position, failed_event_type, failed_error FROM projections.registry
                WHERE name = \(projection.name)
                """, logger: logger)
            for (version, state, position, type, error) in try rows.decode((Int, String, Int64?, String?, String?).self) {
                status.liveVersion = version
                status.state = state
                status.failedPosition = position
                status.failedEventType = type
                status.failedError = error
            }
            let schema = ProjectionSchema.live(projection).name
            let exists = try await client.liveQuery("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger)
            var found = false
            for _ in exists { found = true }
            if found {
                let checkpoint = try await client.liveQuery(
                    """
                    SELECT position, events, CASE WHEN updated_at > now() - interval '10 seconds' THEN rate ELSE 0 END
                    FROM \(unescaped: schema).checkpoint
                    """, logger: logger)
                for (position, events, rate) in try checkpoint.decode((Int64, Int64, Double).self) {
                    status.position = position
                    status.events = events
                    status.rate = rate
                }
            } else {
                status.state = "missing"
            }
            statuses.append(status)
        }
        return statuses
    }
}
