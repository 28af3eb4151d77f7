import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// Reads the live projections: what dashboards, the CLI and (later) the HTTP API show.
/// Every filter is a bound parameter.
public struct ProjectionReader: Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// How long ``awaitPosition(_:of:store:)`` waits for the projections' runners before a
    /// projection still behind is `projection_behind` (an API bounds it below its request deadline).
    public var awaitTimeout: Duration

    public init(client: PostgresClient, awaitTimeout: Duration = .seconds(30), logger: Logger) {
        self.client = client
        self.awaitTimeout = awaitTimeout
        self.logger = logger
    }

    /// Which deployments to list; nil means any.
    public struct DeploymentFilter: Sendable {
        public var organisation: String?
        public var project: String?
        public var environment: String?
        public var status: DeploymentStatus?
        public var trigger: DeploymentTrigger?
        public var gitBranch: String?
        /// A commit, or its leading characters (at least 7).
        public var gitCommit: String?
        /// Who requested it (`triggered_by`).
        public var actor: String?
        /// Requested at or after / before these instants.
        public var createdFromMicroseconds: Int64?
        public var createdBeforeMicroseconds: Int64?
        /// Finished at or after / before these instants (unfinished ones never match).
        public var finishedFromMicroseconds: Int64?
        public var finishedBeforeMicroseconds: Int64?
        /// Keyset paging: only deployments requested before this log position (the cursor of
        /// the page before). Cheaper and steadier than `skip` on long histories.
        public var beforePosition: Int64?
        /// Only deployments abandoned after transient errors outlasted every retry (the dead letters).
        public var abandoned = false
        public var skip = 0
        public var limit = 50
        public init() {}
    }

    /// Deployments waiting for an executor (`queued`: pending or queued), being run
    /// (`running`: building or deploying) and `failed`, for the executor metrics.
    public func executorJobCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let rows = try await client.liveQuery(
            """
            SELECT CASE WHEN state->>'status' IN ('pending', 'queued') THEN 'queued'
                        WHEN state->>'status' IN ('building', 'deploying') THEN 'running' ELSE 'failed' END, count(*)::int8
            FROM proj_deployments.state WHERE state->>'status' IN ('pending', 'queued', 'building', 'deploying', 'failed') GROUP BY 1
            """, logger: logger)
        for row in rows {
            let (state, count) = try row.decode((String, Int64).self)
            counts[state] = Int(count)
        }
        return counts
    }

    /// Deployments, newest first.
    public func deployments(_ filter: DeploymentFilter) async throws -> [DeploymentState] {
        let limit = min(max(filter.limit, 1), 500), skip = max(filter.skip, 0)
        var query = Self.deploymentsMatching(filter, "SELECT state::text FROM proj_deployments.state")
        query.sql += " ORDER BY (state->>'requestedPosition')::bigint DESC OFFSET $\(query.binds.count + 1) LIMIT $\(query.binds.count + 2)"
        query.binds.append(Int64(skip))
        query.binds.append(Int64(limit))
        return try await states(DeploymentState.self, query)
    }

    /// How many deployments `filter` matches in all, whatever the page (cursor, skip and limit
    /// are not counted): counted up to `cap`, nil beyond it — a total only where it is cheap.
    public func deploymentCount(_ filter: DeploymentFilter, upTo cap: Int) async throws -> Int? {
        var whole = filter
        whole.beforePosition = nil
        var query = Self.deploymentsMatching(whole, "SELECT count(*)::int8 FROM (SELECT 1 FROM proj_deployments.state")
        query.sql += " LIMIT $\(query.binds.count + 1)) matching"
        query.binds.append(Int64(cap + 1))
        do {
            var count: Int64 = 0
            for value in try await client.liveQuery(query, logger: logger).decode(Int64.self) { count = value }
            return count > cap ? nil : Int(count)
        } catch {
            throw ProjectionReader.readFailure(error, "counting deployments failed")
        }
    }

    /// `select` over the deployments `filter` matches (every value a bound parameter).
    static func deploymentsMatching(_ filter: DeploymentFilter, _ select: String) -> PostgresQuery {
        """
        \(unescaped: select)
        WHERE (\(filter.organisation)::text IS NULL OR state->>'organisationID' = \(filter.organisation))
          AND (\(filter.project)::text IS NULL OR state->>'projectID' = \(filter.project))
          AND (\(filter.environment)::text IS NULL OR state->>'environmentID' = \(filter.environment))
          AND (\(filter.status?.rawValue)::text IS NULL OR state->>'status' = \(filter.status?.rawValue))
          AND (\(filter.trigger?.rawValue)::text IS NULL OR state->>'trigger' = \(filter.trigger?.rawValue))
          AND (\(filter.gitBranch)::text IS NULL OR state->'git'->>'branch' = \(filter.gitBranch))
          AND (\(filter.gitCommit)::text IS NULL OR starts_with(state->'git'->>'commit', \(filter.gitCommit)))
          AND (\(filter.actor)::text IS NULL OR state->>'requestedBy' = \(filter.actor))
          AND (\(filter.createdFromMicroseconds)::int8 IS NULL OR (state->>'requestedAtMicroseconds')::int8 >= \(filter.createdFromMicroseconds))
          AND (\(filter.createdBeforeMicroseconds)::int8 IS NULL OR (state->>'requestedAtMicroseconds')::int8 < \(filter.createdBeforeMicroseconds))
          AND (\(filter.finishedFromMicroseconds)::int8 IS NULL OR (state->>'finishedAtMicroseconds')::int8 >= \(filter.finishedFromMicroseconds))
          AND (\(filter.finishedBeforeMicroseconds)::int8 IS NULL OR (state->>'finishedAtMicroseconds')::int8 < \(filter.finishedBeforeMicroseconds))
          AND (\(filter.beforePosition)::int8 IS NULL OR (state->>'requestedPosition')::bigint < \(filter.beforePosition))
          AND (NOT \(filter.abandoned) OR state->>'abandonedAfterAttempts' IS NOT NULL)
        """
    }

    /// Every projection's position, lag, rate and failure (what `/metrics` exports).
    public func projectionStatuses(store: EventStore) async throws -> [ProjectionStatus] {
        try await ProjectionStatus.read(ProjectionCatalog.all, client: client, store: store, logger: logger)
    }

    /// A failed read as a ledger error: a read model not built yet is `database_unavailable`
    /// (try again once `ledger project` or `ledger run` has built it), not an internal failure.
    static func readFailure(_ error: any Error, _ context: String) -> LedgerError {
        if PostgresErrorText.sqlState(error) == "42P01" {
            return LedgerError(.unavailable, "\(context): the read model is not built yet; is `ledger project` (or `ledger run`) running?", underlying: error)
        }
        return LedgerError.wrapping(error, context)
    }

    /// How far the named projection has applied the log (what its answers reflect); 0 before it exists.
    public func position(of projection: String) async throws -> Int64 {
        guard ProjectionCatalog.named(projection) != nil else { throw LedgerError(.invalidArgument, "no projection called \(projection)") }
        do {
            let rows = try await client.liveQuery("SELECT position FROM \(unescaped: "proj_" + projection).checkpoint", logger: logger)
            return try rows.first?.decode(Int64.self) ?? 0
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return 0
        }
    }

    /// Read-your-writes: waits until the named projections have applied the log through
    /// `position` (what a write returned; the head when nil), so that what it wrote reads back
    /// at once. A read never applies events itself: the projections' runners do (`ledger run`,
    /// `ledger project`), and past ``awaitTimeout`` a projection still behind is `projection_behind`.
    public func awaitPosition(_ position: Int64?, of projections: [String], store: EventStore) async throws {
        let timeout = awaitTimeout
        let target = if let position { position } else { try await store.headPosition() }
        let deadline = ContinuousClock.now + timeout
        var failuresCheckedAt: ContinuousClock.Instant?
        while true {
            // Woken by the commit itself when this process runs those projections (a runner
            // may become active here while this waits).
            let slice = min(deadline - .now, .milliseconds(250))
            if slice > .zero, await ProjectionCheckpoints.shared.wait(projections, of: store, reach: target, timeout: slice) { return }
            // Run elsewhere (or not at all): their checkpoints in PostgreSQL tell.
            var behind: [String] = []
            for name in projections where try await self.position(of: name) < target { behind.append(name) }
            if behind.isEmpty { return }
            // A projection stopped by a bad event will not get there: said at once, not after the wait.
            if failuresCheckedAt.map({ $0.duration(to: .now) > .milliseconds(500) }) ?? true {
                failuresCheckedAt = .now
                let statuses = try await ProjectionStatus.read(behind.compactMap(ProjectionCatalog.named), client: client, store: store, logger: logger)
                if let stopped = statuses.first(where: { $0.state == "failed" }) {
                    throw LedgerError(
                        .projectionBehind,
                        "projection \(stopped.name) is stopped by a bad event at position \(stopped.failedPosition ?? 0); `ledger projections status` says why")
                }
            }
            guard ContinuousClock.now < deadline else {
                throw LedgerError(
                    .projectionBehind,
                    "projection \(behind.joined(separator: ", ")) is behind the log; the write is recorded, try reading again (is `ledger run` or `ledger project` running?)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public func deployment(_ id: String) async throws -> DeploymentState? {
        try await states(DeploymentState.self, "SELECT state::text FROM proj_deployments.state WHERE key = \(id)").first
    }

    public func progress(_ id: String) async throws -> DeploymentProgress? {
        try await states(DeploymentProgress.self, "SELECT state::text FROM proj_progress.state WHERE key = \(id)").first
    }

    public func environments(organisation: String? = nil, project: String? = nil) async throws -> [EnvironmentState] {
        try await states(
            EnvironmentState.self,
            """
            SELECT state::text FROM proj_environments.state
            WHERE (\(organisation)::text IS NULL OR state->>'organisationID' = \(organisation))
              AND (\(project)::text IS NULL OR state->>'projectID' = \(project))
            ORDER BY key
            """)
    }

    public func environment(_ id: String) async throws -> EnvironmentState? {
        try await states(EnvironmentState.self, "SELECT state::text FROM proj_environments.state WHERE key = \(id)").first
    }

    /// Organisations (`kind` = organisation) and projects, optionally of one organisation.
    public func setup(kind: String, organisation: String? = nil) async throws -> [SetupFold.Entry] {
        try await states(
            SetupFold.Entry.self,
            """
            SELECT state::text FROM proj_setup.state
            WHERE state->>'kind' = \(kind) AND (\(organisation)::text IS NULL OR state->>'organisationID' = \(organisation))
            ORDER BY key
            """)
    }

    public func quota(organisation: String) async throws -> QuotaUsage {
        let entries = try await states(
            QuotaEntry.self, "SELECT state::text FROM proj_quota.state WHERE state->>'organisationID' = \(organisation)")
        return QuotaUsage(organisationID: organisation, entries: entries)
    }

    func states<T: Decodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> [T] {
        var values: [T] = []
        do {
            for body in try await client.liveQuery(query, logger: logger).decode(String.self) {
                values.append(try LedgerJSON.decode(T.self, from: Data(body.utf8)))
            }
        } catch let error as DecodingError {
            throw LedgerError(.invalidEvent, "a projection row does not decode: \(error)")
        } catch {
            throw ProjectionReader.readFailure(error, "reading a projection failed")
        }
        return values
    }
}
