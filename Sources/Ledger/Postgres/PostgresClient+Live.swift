import Logging
import PostgresNIO
import Synchronization

/// How long requests on a client wait for a pooled connection before the database is said to
/// be unavailable: while PostgreSQL is down or restarting the pool keeps trying to connect, and
/// a lease would otherwise wait for ever. Set per client by whoever makes it (the executable,
/// from its configuration); a client nobody configured waits ``defaultLease``.
public enum DatabaseTimeouts {
    public static let defaultLease: Duration = .seconds(10)
    private static let leases = Mutex<[ObjectIdentifier: Duration]>([:])

    /// Requests on `client` wait at most `lease` for a connection.
    public static func setLease(_ lease: Duration, for client: PostgresClient) {
        let id = ObjectIdentifier(client)
        leases.withLock { $0[id] = lease }
    }

    /// How long requests on `client` wait for a connection.
    public static func lease(for client: PostgresClient) -> Duration {
        let id = ObjectIdentifier(client)
        return leases.withLock { $0[id] } ?? defaultLease
    }
}

extension PostgresClient {
    /// `withConnection`, but never waiting for ever: the lease fails with
    /// ``LedgerError/Code/unavailable`` after ``DatabaseTimeouts/lease(for:)``, and once leased the
    /// caller is answered with ``ConnectionClosed`` as soon as the connection closes under the
    /// body (see ``ClosingConnections``); the body, should it ever wake, answers no one.
    ///
    /// While the head listener knows the database is away (``DatabaseStatus``), it fails at once
    /// as unavailable — unless `evenIfAway`, as the listener itself needs to reconnect.
    public func withLiveConnection<T: Sendable>(
        evenIfAway: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        if !evenIfAway, DatabaseStatus.isAway(self) {
            throw LedgerError(.unavailable, "PostgreSQL is away (its listening connection dropped); try again shortly")
        }
        let limit = DatabaseTimeouts.lease(for: self)
        let tasks = TaskList()
        // One task per request (every read of the API takes this path): the lease deadline is
        // a process-wide timer, and the close of the connection answers the waiting caller
        // directly, instead of a task group with a sleeping timer and a worker task per call.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let answer = FirstAnswer(continuation)
                let leased = OnceFlag()
                let timer = DeadlineTimers.shared.schedule(at: .now + limit) {
                    guard !leased.isSet else { return }
                    answer.give(.failure(LedgerError(.unavailable, "PostgreSQL did not accept a connection within \(limit.seconds) s")))
                    tasks.cancelAll()
                }
                tasks.add([Task {
                    let result = await Result {
                        try await self.withConnection { connection in
                            leased.set()
                            DeadlineTimers.shared.cancel(timer)
                            if connection.isClosed { throw ConnectionClosed() }
                            // A request on a connection that closes may never be answered: the
                            // caller is answered at the close, and this task, should it ever
                            // wake, answers no one (see `ClosingConnections`).
                            let watch = ClosingConnections.shared.whenClosed(connection) { answer.give(.failure(ConnectionClosed())) }
                            defer { ClosingConnections.shared.forget(watch) }
                            return try await body(connection)
                        }
                    }
                    DeadlineTimers.shared.cancel(timer)
                    answer.give(result)
                }])
            }
        } onCancel: {
            tasks.cancelAll()
        }
    }

    /// Runs `query` on a live pooled connection and returns all its rows (for the small answers
    /// that reads of state, heads and checkpoints are); see ``withLiveConnection(_:)``.
    public func liveQuery(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withLiveConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }
}

extension Array where Element == PostgresRow {
    /// Every row decoded as `columns`, like `PostgresRowSequence.decode` for rows already read.
    public func decode<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) throws -> [(repeat each Column)] {
        try map { try $0.decode(columns) }
    }
}

/// A flag that is set once and read from any task.
public final class OnceFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public func set() { value.withLock { $0 = true } }
    public var isSet: Bool { value.withLock { $0 } }
}

/// Tasks to cancel together, also when the cancellation comes before they are added.
final class TaskList: Sendable {
    private let state = Mutex<(tasks: [Task<Void, Never>], cancelled: Bool)>(([], false))

    func add(_ tasks: [Task<Void, Never>]) {
        let cancelled = state.withLock { state in
            state.tasks += tasks
            return state.cancelled
        }
        if cancelled { for task in tasks { task.cancel() } }
    }

    func cancelAll() {
        let tasks = state.withLock { state in
            state.cancelled = true
            return state.tasks
        }
        for task in tasks { task.cancel() }
    }
}
