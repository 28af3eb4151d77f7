import Ledger
import Logging
import PostgresNIO

/// Every projection the ledger maintains, in the order `status` lists them.
public enum ProjectionCatalog {
    public static let all: [any Projection] = [
        KeyedStateProjection<DeploymentsFold>(), KeyedStateProjection<ProgressFold>(), LogsProjection(),
        KeyedStateProjection<EnvironmentsFold>(), KeyedStateProjection<QuotaFold>(), AuditProjection(),
        KeyedStateProjection<SetupFold>(),
    ]

    /// The projection called `name`, if any.
    public static func named(_ name: String) -> (any Projection)? { all.first { $0.name == name } }

    /// Read-your-writes: brings the named projections up to `position` (what an append
    /// returned; the head when nil), or waits for their active runners to get there. Returns
    /// the names of those that could not (stopped by a bad event, or behind past the timeout).
    public static func catchUp(
        _ names: [String], through position: Int64? = nil, store: EventStore, client: PostgresClient, timeout: Duration = .seconds(30),
        logger: Logger
    ) async throws -> [String] {
        var behind: [String] = []
        for name in names {
            guard let projection = named(name) else { throw LedgerError(.invalidArgument, "no projection called \(name)") }
            let runner = ProjectionRunner(projection: projection, store: store, client: client, logger: logger)
            if !(try await runner.catchUp(through: position, timeout: timeout)) { behind.append(name) }
        }
        return behind
    }
}
