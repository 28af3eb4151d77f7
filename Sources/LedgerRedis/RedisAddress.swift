import Foundation

/// Where a Redis server listens: `redis://HOST:PORT` (port 6379 when left out) or a Unix
/// socket, written `unix:///path/to/redis.sock` or just as an absolute path.
public enum RedisAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// Reads `REDIS_URL`'s forms; anything else is an error that names the accepted ones.
    public init(parsing text: String) throws {
        if text.hasPrefix("/") {
            self = .unix(path: text)
        } else if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw RedisError.invalidAddress(text) }
            self = .unix(path: path)
        } else if let url = URLComponents(string: text), url.scheme == "redis", let host = url.host, !host.isEmpty {
            let port = url.port ?? 6379
            guard (1...65_535).contains(port), url.user == nil, url.password == nil else { throw RedisError.invalidAddress(text) }
            self = .tcp(host: host, port: port)
        } else {
            throw RedisError.invalidAddress(text)
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): "redis://\(host):\(port)"
        case .unix(let path): "unix://\(path)"
        }
    }
}

/// Why talking to Redis failed. Redis is only ever a helper here, so callers fall back on
/// PostgreSQL (or fail open) rather than pass these on.
public enum RedisError: Error, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case unavailable(String)
    case replyError(String)
    case unexpectedReply(String)
    /// `redis-server` is not installed, so no private one can start.
    case missingServer

    public var description: String {
        switch self {
        case .invalidAddress(let text): "'\(text)' is not a Redis address (redis://HOST:PORT, unix:///PATH or /PATH)"
        case .unavailable(let reason): "Redis is unavailable: \(reason)"
        case .replyError(let message): "Redis refused the command: \(message)"
        case .unexpectedReply(let what): "Redis answered unexpectedly: \(what)"
        case .missingServer:
            "redis-server was not found. Install it (Debian/Ubuntu: apt-get install -y redis-server), set REDIS_URL to use an existing server, or pass --redis off."
        }
    }
}
