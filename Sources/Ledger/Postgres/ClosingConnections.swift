import PostgresNIO
import Synchronization

/// Raised when the connection a request was sent on closed before it was answered: the request
/// may or may not have been carried out (a commit may have landed), so the caller must find out
/// on a fresh connection, as the append path does by resending the same event ids.
public struct ConnectionClosed: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the connection to PostgreSQL closed before the request was answered" }
}

/// What to do when each open connection closes (fail the requests waiting on it). A
/// connection's close is watched once, however many callers watch it, and forgotten when it fires.
///
/// Why requests need it: postgres-nio 1.33 loses a request written to a connection after the
/// server dropped it and NIO took the channel's handlers down — nothing ever answers it, and its
/// caller waits for ever, deaf to cancellation, however closely `isClosed` was checked just
/// before. A pooled connection meets that when the pool hands it out in the instant between the
/// drop and the pool hearing of it (``PostgresClient/withLiveConnection(_:)`` answers its caller
/// at the close); a connection held across many requests meets it whenever the server restarts
/// or terminates backends (the group commit watches its own: see `AppendCoordinator`).
///
/// Connections are told apart by identity: their `id` is only unique within one client.
final class ClosingConnections: Sendable {
    static let shared = ClosingConnections()

    struct Token: Sendable {
        let connection: ObjectIdentifier
        let number: Int
    }

    private struct State {
        var waiting: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
        var nextNumber = 0
    }

    private let state = Mutex(State())

    /// Calls `action` when `connection` closes (at once if it has), unless the token is forgotten first.
    func whenClosed(_ connection: PostgresConnection, _ action: @escaping @Sendable () -> Void) -> Token {
        let key = ObjectIdentifier(connection)
        let (token, firstOnConnection) = state.withLock { state in
            state.nextNumber += 1
            let first = state.waiting[key] == nil
            state.waiting[key, default: [:]][state.nextNumber] = action
            return (Token(connection: key, number: state.nextNumber), first)
        }
        if firstOnConnection {
            // The callback keeps the connection alive, so no other one can take its identity
            // while it is watched.
            connection.closeFuture.whenComplete { _ in
                let actions = self.state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(connection)) } ?? [:]
                for action in actions.values { action() }
            }
        }
        return token
    }

    func forget(_ token: Token) {
        state.withLock { state in
            _ = state.waiting[token.connection]?.removeValue(forKey: token.number)
        }
    }

    /// What `body` (requests on `connection`) answers, or `closed` if the connection closes
    /// first; the body, should it ever wake after that, answers no one. With `onLoop`, the body
    /// runs on the connection's event loop (``EventLoopTaskExecutor``): the server's answer then
    /// resumes it on the thread that read it, and only the caller is woken on another — for short
    /// bodies that mostly wait on the connection.
    func race<T: Sendable>(
        _ connection: PostgresConnection, closed: T, onLoop: Bool = false, _ body: @escaping @Sendable () async -> T
    ) async -> T {
        let answered = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = FirstAnswer(continuation)
            let watch = whenClosed(connection) { answer.give(.success(closed)) }
            // Not awaited: the caller awaits `answer`, given by this task or by the close,
            // whichever comes first. It starts at once, on the caller's thread.
            Task.immediate(executorPreference: onLoop ? EventLoopTaskExecutor.of(connection.eventLoop) : nil) {
                let result = await body()
                self.forget(watch)
                answer.give(.success(result))
            }
        }
        return answered ?? closed
    }
}

/// Resumes a continuation with the first result given to it and ignores the rest: for racing
/// work that may never finish against something that ends the wait (a close, a timeout).
public final class FirstAnswer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    public init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    public func give(_ result: Result<T, any Error>) {
        let waiting = continuation.withLock { waiting in
            defer { waiting = nil }
            return waiting
        }
        waiting?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    /// The value `body` returns, or the error it throws.
    public init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
