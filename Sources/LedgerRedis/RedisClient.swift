import Dispatch
import Foundation
import Synchronization

/// Commands to one Redis server over one connection, from async code. hiredis blocks, so each
/// command runs on the client's own serial queue, never on the concurrency pool, and each is
/// bounded by `timeout`. A lost connection is made again on the next command, but not sooner
/// than `retryAfter` after a failure: while Redis is down every command fails at once rather
/// than each waiting out a connect timeout.
public final class RedisClient: Sendable {
    public let address: RedisAddress
    public let timeout: Duration
    public let retryAfter: Duration
    private let queue = DispatchQueue(label: "ledger.redis.client")
    /// Touched only on `queue`.
    private let connection = Mutex<RedisConnectionBox?>(nil)
    private let health = Mutex(Health())

    private struct Health {
        var available = true
        var lastFailure: ContinuousClock.Instant?
    }

    public init(address: RedisAddress, timeout: Duration = .milliseconds(500), retryAfter: Duration = .seconds(1)) {
        self.address = address
        self.timeout = timeout
        self.retryAfter = retryAfter
    }

    /// Whether the last command got an answer (false after a failure, until one succeeds).
    public var isAvailable: Bool { health.withLock { $0.available } }

    /// Sends one command and returns its reply; throws ``RedisError`` when Redis is unreachable
    /// or refuses it.
    public func command(_ arguments: String...) async throws -> RedisReply {
        try await command(arguments)
    }

    public func command(_ arguments: [String]) async throws -> RedisReply {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisReply, any Error>) in
            queue.async {
                continuation.resume(with: Result { try self.runOnQueue(arguments) })
            }
        }
    }

    private func runOnQueue(_ arguments: [String]) throws -> RedisReply {
        let box: RedisConnectionBox
        if let open = connection.withLock({ $0 }) {
            box = open
        } else {
            if let last = health.withLock({ $0.lastFailure }), ContinuousClock.now - last < retryAfter {
                throw RedisError.unavailable("down since a moment ago; retrying shortly")
            }
            do {
                box = RedisConnectionBox(try RedisConnection(address, timeout: timeout))
            } catch {
                markFailed()
                throw error
            }
            connection.withLock { $0 = box }
        }
        do {
            let reply = try box.connection.command(arguments)
            health.withLock { $0 = Health(available: true, lastFailure: nil) }
            return reply
        } catch RedisError.replyError(let message) {
            health.withLock { $0 = Health(available: true, lastFailure: nil) }
            throw RedisError.replyError(message)
        } catch {
            connection.withLock { $0 = nil }
            markFailed()
            throw error
        }
    }

    private func markFailed() {
        health.withLock { $0 = Health(available: false, lastFailure: .now) }
    }
}

/// Carries a connection into the client's lock; only the client's queue ever uses it.
final class RedisConnectionBox: @unchecked Sendable {
    let connection: RedisConnection
    init(_ connection: RedisConnection) { self.connection = connection }
}
