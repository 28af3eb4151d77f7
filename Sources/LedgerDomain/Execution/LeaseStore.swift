import Ledger
import Foundation
import Logging
import PostgresNIO

/// Worker leases on deployments (`executor.leases`): inserting the row is the claim, an UPDATE
/// renews it, and a row past its expiry may be claimed by another worker. Times are the
/// database's clock, so workers on machines whose clocks disagree still agree on expiry.
/// Heartbeats live here, not in the log.
public struct LeaseStore: Sendable {
    /// A lease that ran out: its worker stopped renewing it.
    public struct Expired: Sendable, Equatable {
        public var deploymentID: String
        public var lease: String
        public var worker: String
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Claims `deploymentID` under `lease` for `duration`: true when no one holds it or its
    /// holder's lease has expired. Of two workers claiming at once, one wins.
    public func claim(_ deploymentID: String, lease: String, worker: String, for duration: Duration) async throws -> Bool {
        let milliseconds = duration.wholeMilliseconds
        let rows = try await client.liveQuery(
            """
            INSERT INTO executor.leases AS l (deployment_id, lease, worker, expires_at)
            VALUES (\(deploymentID), \(lease), \(worker), clock_timestamp() + make_interval(secs => \(milliseconds)::float8 / 1000))
            ON CONFLICT (deployment_id) DO UPDATE SET lease = EXCLUDED.lease, worker = EXCLUDED.worker,
                claimed_at = clock_timestamp(), expires_at = EXCLUDED.expires_at
            WHERE l.expires_at < clock_timestamp()
            RETURNING 1
            """, logger: logger)
        return !rows.isEmpty
    }

    /// Extends the lease; false when it is no longer this lease (taken over): stop working then.
    public func renew(_ deploymentID: String, lease: String, for duration: Duration) async throws -> Bool {
        let milliseconds = duration.wholeMilliseconds
        let rows = try await client.liveQuery(
            """
            UPDATE executor.leases SET expires_at = clock_timestamp() + make_interval(secs => \(milliseconds)::float8 / 1000)
            WHERE deployment_id = \(deploymentID) AND lease = \(lease)
            RETURNING 1
            """, logger: logger)
        return !rows.isEmpty
    }

    /// Gives the deployment up (it ended, or the claim came to nothing).
    public func release(_ deploymentID: String, lease: String) async throws {
        _ = try await client.liveQuery(
            "DELETE FROM executor.leases WHERE deployment_id = \(deploymentID) AND lease = \(lease)", logger: logger)
    }

    /// Leases that ran out, oldest first.
    public func expired(limit: Int = 100) async throws -> [Expired] {
        let rows = try await client.liveQuery(
            """
            SELECT deployment_id, lease, worker FROM executor.leases
            WHERE expires_at < clock_timestamp() ORDER BY expires_at LIMIT \(limit)
            """, logger: logger)
        return try rows.map { row in
            let (id, lease, worker) = try row.decode((String, String, String).self)
            return Expired(deploymentID: id, lease: lease, worker: worker)
        }
    }

    /// The deployments held right now and by whom (tests check that a finished job released its lease).
    public func held() async throws -> [String: String] {
        let rows = try await client.liveQuery(
            "SELECT deployment_id, worker FROM executor.leases WHERE expires_at >= clock_timestamp()", logger: logger)
        var held: [String: String] = [:]
        for row in rows {
            let (id, worker) = try row.decode((String, String).self)
            held[id] = worker
        }
        return held
    }
}
