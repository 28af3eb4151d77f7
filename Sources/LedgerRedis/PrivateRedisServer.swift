import ChildProcess
import Foundation

/// A private `redis-server` of this machine's, in `directory` on a Unix socket (no TCP port),
/// keeping nothing on disk — Redis is only a helper here. The embedded default of `ledger run`
/// (under `.ledger/redis`) and the tests' own Redis are both one of these.
public struct PrivateRedisServer: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// The socket, in the directory unless that path is too long for a socket name.
    public var socketPath: String {
        let preferred = directory.appendingPathComponent("redis.sock").path
        if preferred.utf8.count < 100 { return preferred }
        return "/tmp/ledger-redis-\(getuid())-\(UInt32(truncatingIfNeeded: preferred.hashValue)).sock"
    }

    public var address: RedisAddress { .unix(path: socketPath) }
    private var pidFile: String { directory.appendingPathComponent("redis.pid").path }
    private var logFile: String { directory.appendingPathComponent("redis.log").path }

    /// Starts the server unless one answers on the socket already; true when this call started
    /// it. Throws ``RedisError/missingServer`` when `redis-server` is not installed.
    public func start(log: (String) -> Void = { _ in }) async throws -> Bool {
        if await answers() {
            log("Using the embedded Redis already running in \(directory.path)")
            return false
        }
        guard let server = Self.serverBinary() else { throw RedisError.missingServer }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: socketPath)
        log("Starting the embedded Redis in \(directory.path)")
        let q = ShellCommand.quote
        let command = [
            q(server), "--port", "0", "--unixsocket", q(socketPath), "--unixsocketperm", "700", "--dir", q(directory.path),
            "--save", "''", "--appendonly", "no", "--daemonize", "yes", "--pidfile", q(pidFile), "--logfile", q(logFile),
        ].joined(separator: " ")
        guard try await ShellCommand.run("\(command) > /dev/null 2>&1") == 0 else {
            throw RedisError.unavailable("redis-server did not start; see \(logFile)")
        }
        for _ in 0..<100 {
            if await answers() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError.unavailable("redis-server did not answer within 5 s; see \(logFile)")
    }

    /// Stops the server at once (it keeps nothing worth saving) and waits for its socket to go.
    public func stop() async {
        _ = try? await RedisClient(address: address).command("SHUTDOWN", "NOSAVE")
        for _ in 0..<250 where FileManager.default.fileExists(atPath: socketPath) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func answers() async -> Bool {
        guard FileManager.default.fileExists(atPath: socketPath) else { return false }
        return (try? await RedisClient(address: address).command("PING").string) == "PONG"
    }

    static func serverBinary() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
