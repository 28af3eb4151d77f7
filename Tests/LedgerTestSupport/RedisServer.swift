import ChildProcess
import Foundation
import LedgerRedis

/// A private `redis-server` on a Unix socket in a temporary directory, for tests that need a
/// real Redis: it can be stopped and started again on the same socket (to test what happens
/// while Redis is away) and is removed with ``remove()``.
public final class RedisServer: Sendable {
    public let directory: String
    public var socketPath: String { directory + "/redis.sock" }
    public var address: RedisAddress { .unix(path: socketPath) }
    /// The address as `--redis` and `REDIS_URL` take it.
    public var url: String { "unix://" + socketPath }

    public init() {
        directory = "/tmp/ledger-redis-\(UUID().uuidString.prefix(8))"
    }

    /// Starts it and waits until it answers PING.
    public func start() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let q = ShellCommand.quote
        let status = try await ShellCommand.run(
            "redis-server --port 0 --unixsocket \(q(socketPath)) --unixsocketperm 700 --dir \(q(directory)) --save '' --appendonly no "
                + "--daemonize yes --pidfile \(q(directory + "/redis.pid")) --logfile \(q(directory + "/redis.log")) > /dev/null 2>&1")
        guard status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: "redis-server (apt-get install -y redis-server)"]) }
        for _ in 0..<200 {
            if (try? await RedisClient(address: address).command("PING").string) == "PONG" { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: "redis-server did not answer; see \(directory)/redis.log"])
    }

    /// Stops it at once (nothing saved) and waits until its socket is gone.
    public func stop() async {
        _ = try? await RedisClient(address: address).command("SHUTDOWN", "NOSAVE")
        for _ in 0..<200 where FileManager.default.fileExists(atPath: socketPath) {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Stops it and removes its directory.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
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
