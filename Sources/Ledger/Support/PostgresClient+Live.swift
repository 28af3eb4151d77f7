import Logging
import PostgresNIO
import Synchronization

/// How long the ledger waits for PostgreSQL before it says the database is unavailable. One
/// setting for the process, read by every pooled request (the executable sets it from its
/// configuration before it opens anything).
public enum DatabaseTimeouts {
    private static let leaseMilliseconds = Atomic<Int64>(10_000)

    /// How long a request waits for a pooled connection: while PostgreSQL is down or
    /// restarting, the pool keeps trying to connect and a lease would otherwise wait for ever.
    public static var lease: Duration {
        get { .milliseconds(leaseMilliseconds.load(ordering: .relaxed)) }
        set { leaseMilliseconds.store(Int64(newValue.seconds * 1_000), ordering: .relaxed) }
    }
}

extension PostgresClient {
    /// `withConnection`, but never waiting for ever: the lease fails with
    /// ``LedgerError/Code/unavailable`` after ``DatabaseTimeouts/lease``, and once leased the
    /// body fails with ``ConnectionClosed`` as soon as the connection closes under it (see
    /// ``PostgresConnection/failingWhenClosed(_:)``).
    public func withLiveConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = OnceFlag()
        let limit = DatabaseTimeouts.lease
        return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                try await .answered(self.withConnection { connection in
                    leased.set()
                    return try await connection.failingWhenClosed { try await body(connection) }
                })
            }
            group.addTask {
                try await Task.sleep(for: limit)
                if leased.isSet { return .leasedInTime }
                throw LedgerError(.unavailable, "PostgreSQL did not accept a connection within \(limit.seconds) s")
            }
            defer { group.cancelAll() }
            while let outcome = try await group.next() {
                if case .answered(let value) = outcome { return value }
            }
            throw CancellationError()
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

/// What finished first in ``PostgresClient/withLiveConnection(_:)``.
private enum LeaseOutcome<T: Sendable>: Sendable {
    case answered(T)
    case leasedInTime
}

/// Runs `body` and returns its answer, or throws `timeoutError()` once `limit` has passed,
/// abandoning `body` (it is cancelled, and whatever it still does is ignored). For the outer
/// bounds — an HTTP request, a whole command — where an answer must come in time even if a
/// request deep inside never returns.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ timeoutError: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let tasks = TaskList()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            let work = Task { answer.give(await Result(awaiting: body)) }
            let timer = Task {
                do { try await Task.sleep(for: limit) } catch { return }
                answer.give(.failure(timeoutError()))
                work.cancel()
            }
            tasks.add([work, timer])
            Task {
                _ = await work.result
                timer.cancel()
            }
        }
    } onCancel: {
        tasks.cancelAll()
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
