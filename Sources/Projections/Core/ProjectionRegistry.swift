import Ledger
import Logging
import PostgresNIO

/// The `projections.registry` row of one projection: its live version, whether a bad event
/// stopped it, and whether a rebuild asked the runner to hand over.
struct ProjectionRegistry: Sendable {
    let projection: any Projection
    let logger: Logger

    /// Session advisory lock keys: (runner, name) is held by the one active runner; (rebuild,
    /// name) by the one rebuild in progress.
    static let runnerLockClass: Int32 = 7_342_003
    static let rebuildLockClass: Int32 = 7_342_004

    struct Row: Sendable {
        var version: Int
        var failed: Bool
    }

    func row(on connection: PostgresConnection) async throws -> Row? {
        let rows = try await connection.query(
            "SELECT version, status = 'failed' FROM projections.registry WHERE name = \(projection.name)", logger: logger)
        for try await (version, failed) in rows.decode((Int, Bool).self) { return Row(version: version, failed: failed) }
        return nil
    }

    func register(version: Int, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO projections.registry (name, version) VALUES (\(projection.name), \(version))
            ON CONFLICT (name) DO UPDATE SET version = excluded.version, status = 'running', failed_position = NULL,
                failed_event_type = NULL, failed_error = NULL, failed_at = NULL, handover_requested_at = NULL, rebuilt_at = now()
            """, logger: logger)
    }

    func recordFailure(_ failure: ProjectionEventError, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE projections.registry SET status = 'failed', failed_position = \(failure.position),
                failed_event_type = \(failure.eventType), failed_error = \(failure.reason), failed_at = now()
            WHERE name = \(projection.name)
            """, logger: logger)
    }

    func clearFailure(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE projections.registry SET status = 'running', failed_position = NULL, failed_event_type = NULL,
                failed_error = NULL, failed_at = NULL
            WHERE name = \(projection.name) AND status = 'failed'
            """, logger: logger)
    }

    /// Whether a rebuild asked for the runner lock in the last minute (an older request is
    /// from a rebuild that died, and is ignored).
    func handoverRequested(on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT handover_requested_at > now() - interval '60 seconds' FROM projections.registry WHERE name = \(projection.name)
            """, logger: logger)
        for try await requested in rows.decode(Bool?.self) { return requested ?? false }
        return false
    }

    func requestHandover(_ requested: Bool, on connection: PostgresConnection) async throws {
        if requested {
            try await connection.query(
                "UPDATE projections.registry SET handover_requested_at = now() WHERE name = \(projection.name)", logger: logger)
        } else {
            try await connection.query(
                "UPDATE projections.registry SET handover_requested_at = NULL WHERE name = \(projection.name)", logger: logger)
        }
    }

    func tryLock(_ lockClass: Int32, on connection: PostgresConnection) async throws -> Bool {
        do {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(\(lockClass), hashtext(\(projection.name)))", logger: logger)
            for try await locked in rows.decode(Bool.self) { return locked }
            return false
        } catch {
            // Cancelled while reading the answer, the lock may be ours all the same.
            await release(lockClass, on: connection)
            throw error
        }
    }

    func unlock(_ lockClass: Int32, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(projection.name)))", logger: logger)
    }

    /// Releases the lock whatever becomes of the calling task (cancelled, failing): a pooled
    /// connection that went back to the pool still holding a session lock would keep it from
    /// every other runner and rebuild until the connection closed. Errors are ignored — a dead
    /// connection has released its locks already.
    func release(_ lockClass: Int32, on connection: PostgresConnection) async {
        let registry = self
        // A new task: it does not inherit the caller's cancellation.
        await Task { _ = try? await registry.unlock(lockClass, on: connection) }.value
    }
}
