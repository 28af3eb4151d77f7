import Foundation
import LedgerRedis

/// A private Redis for tests that need a real one (``PrivateRedisServer`` in a temporary
/// directory): it can be stopped and started again on the same socket, to test what happens
/// while Redis is away, and is removed with ``remove()``.
public final class RedisServer: Sendable {
    private let server = PrivateRedisServer(directory: URL(fileURLWithPath: "/tmp/ledger-redis-\(UUID().uuidString.prefix(8))"))

    public init() {}

    public var address: RedisAddress { server.address }
    /// The address as `--redis` and `REDIS_URL` take it.
    public var url: String { "\(server.address)" }

    /// Starts it and waits until it answers PING.
    public func start() async throws { _ = try await server.start() }

    /// Stops it at once (nothing saved) and waits until its socket is gone.
    public func stop() async { await server.stop() }

    /// Stops it and removes its directory.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(at: server.directory)
    }

    /// Runs `body` with a started server, removed afterwards whatever happens.
    public static func with<T: Sendable>(_ body: (RedisServer) async throws -> T) async throws -> T {
        let server = RedisServer()
        try await server.start()
        do {
            let result = try await body(server)
            await server.remove()
            return result
        } catch {
            await server.remove()
            throw error
        }
    }
}
