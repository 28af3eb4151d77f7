import Foundation
import HTTPTypes
import Ledger
import LedgerRedis
import Logging
import Metrics
import Synchronization

/// Per-organisation rate limits (the seed's: 10 deployment operations and 30 git webhooks a
/// minute), counted in fixed one-minute windows. With Redis the counters are shared by every
/// gateway process; without it each process counts its own. Over the limit a request is
/// refused with 429 and `Retry-After` before anything is written.
///
/// While Redis is unreachable the limits fail open (allow, with a warning and
/// `ledger_rate_limit_unavailable_total`) or closed (503), as configured.
public final class RateLimiter: Sendable {
    /// What is limited.
    public enum Kind: String, Sendable {
        case deployments
        case webhooks
    }

    /// The limits; nil for a kind means unlimited.
    public struct Limits: Sendable {
        public var deploymentsPerMinute: Int?
        public var webhooksPerMinute: Int?
        /// Whether requests pass (true) or are refused while Redis cannot count them.
        public var failOpen: Bool

        public init(deploymentsPerMinute: Int? = 10, webhooksPerMinute: Int? = 30, failOpen: Bool = true) {
            self.deploymentsPerMinute = deploymentsPerMinute
            self.webhooksPerMinute = webhooksPerMinute
            self.failOpen = failOpen
        }

        /// No limits at all (tests and benchmarks that are not about them).
        public static let none = Limits(deploymentsPerMinute: nil, webhooksPerMinute: nil)

        func limit(_ kind: Kind) -> Int? {
            switch kind {
            case .deployments: deploymentsPerMinute
            case .webhooks: webhooksPerMinute
            }
        }
    }

    public let limits: Limits
    private let redis: RedisClient?
    private let logger: Logger
    private let window: Int64 = 60_000
    private let local = Mutex([String: Int]())
    private let unavailable: Counter

    /// Increments the window's counter, sets its expiry on first use, and answers the count and
    /// the milliseconds left in the window.
    private static let script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return {count, redis.call('PTTL', KEYS[1])}
        """

    init(limits: Limits, redis: RedisClient?, metrics: GatewayMetrics, logger: Logger) {
        self.limits = limits
        self.redis = redis
        self.logger = logger
        self.unavailable = Counter(label: "ledger_rate_limit_unavailable_total", factory: metrics.factory)
    }

    /// Counts one request of `kind` for `organisation`; throws a 429 over the limit.
    func admit(_ kind: Kind, organisation: String?) async throws {
        guard let limit = limits.limit(kind) else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let windowIndex = now / window
        let key = "ledger:rate:\(kind.rawValue):\(organisation ?? "_portal"):\(windowIndex)"
        let count: Int64
        var remainingMs = window - now % window
        if let redis {
            do {
                let reply = try await redis.command("EVAL", Self.script, "1", key, "\(window * 2)")
                guard case .array(let parts) = reply, parts.count == 2, let counted = parts[0].integer else {
                    throw RedisError.unexpectedReply("\(reply)")
                }
                count = counted
                if let ttl = parts[1].integer, ttl > 0 { remainingMs = min(remainingMs, ttl) }
            } catch {
                unavailable.increment()
                guard limits.failOpen else {
                    var refusal = APIError(.serviceUnavailable, "rate_limit_unavailable", "the rate limiter cannot count requests now; try again shortly")
                    refusal.retryAfter = 5
                    throw refusal
                }
                logger.warning("rate limit not enforced: Redis is unavailable", metadata: ["error": "\(error)", "kind": "\(kind.rawValue)"])
                return
            }
        } else {
            count = Int64(local.withLock { counters in
                counters = counters.filter { $0.key.hasSuffix(":\(windowIndex)") }
                counters[key, default: 0] += 1
                return counters[key]!
            })
        }
        guard count <= limit else {
            var refusal = APIError(
                .tooManyRequests, "rate_limited",
                "at most \(limit) \(kind == .deployments ? "deployment operations" : "git webhooks") a minute per organisation; try again in \((remainingMs + 999) / 1_000) s")
            refusal.retryAfter = Int((remainingMs + 999) / 1_000)
            throw refusal
        }
    }
}
