import Foundation
import Executors
import Ledger
import LedgerRedis
import Logging

/// How a gateway's live side runs: where Redis is (nil: no Redis; each process then counts its
/// own rate limits and wakes its streams from PostgreSQL alone), the rate limits, and the live
/// feed's limits.
public struct GatewayOptions: Sendable {
    public var redis: RedisAddress?
    public var limits: RateLimiter.Limits
    public var feed: LiveFeed.Configuration
    /// How long a connection may take to send a request head, or stay idle between requests,
    /// before it is closed.
    public var idleTimeout: Duration = .seconds(15)
    /// The organisations' key files, when this gateway runs where they are: registering a server
    /// then also checks that its key logs in. Without it only the host key is checked.
    public var keyring: Keyring?

    public init(redis: RedisAddress? = nil, limits: RateLimiter.Limits = .none, feed: LiveFeed.Configuration = .init(), keyring: Keyring? = nil) {
        self.redis = redis
        self.limits = limits
        self.feed = feed
        self.keyring = keyring
    }
}

/// A gateway's live parts, made once per server: the feed its event streams share, the Redis
/// client, subscription and relay behind it, the rate limiter and the metrics.
final class GatewayLive: Sendable {
    let feed: LiveFeed
    /// How many of its streams may read the log at once to catch up.
    let replaySlots: ReplaySlots
    let redis: RedisClient?
    let limiter: RateLimiter
    let metrics: GatewayMetrics
    /// See ``GatewayOptions/keyring``.
    let keyring: Keyring?
    /// See ``GatewayOptions/idleTimeout``.
    let idleTimeout: Duration
    private let signal: LiveSignal?
    private let subscriber: RedisSubscriber?
    private let relay: LiveRelay?

    init(options: GatewayOptions, store: EventStore, logger: Logger) {
        metrics = GatewayMetrics.bootstrap()
        keyring = options.keyring
        idleTimeout = options.idleTimeout
        if let address = options.redis {
            let redis = RedisClient(address: address)
            let signal = LiveSignal()
            self.redis = redis
            self.signal = signal
            subscriber = RedisSubscriber(
                address: address, channel: LiveRelay.channel,
                onState: { up in
                    if !up, signal.isHealthy { logger.warning("Redis subscription lost; live streams wake from PostgreSQL until it returns") }
                    signal.setHealthy(up)
                },
                onMessage: { payload in if let position = Int64(payload) { signal.announce(position) } })
            relay = LiveRelay(redis: redis, store: store, instance: UUID().uuidString, logger: logger)
        } else {
            redis = nil
            signal = nil
            subscriber = nil
            relay = nil
        }
        feed = LiveFeed(store: store, signal: signal, configuration: options.feed, logger: logger)
        replaySlots = ReplaySlots(options.feed.replayReaders)
        limiter = RateLimiter(limits: options.limits, redis: redis, metrics: metrics, logger: logger)
    }

    /// Whether Redis answered last time (nil without Redis).
    var redisAvailable: Bool? {
        guard let redis else { return nil }
        return redis.isAvailable && (signal?.isHealthy ?? false)
    }

    /// Runs the feed and, with Redis, the subscription and relay, until cancelled or shut down.
    func run() async throws {
        subscriber?.start()
        defer { subscriber?.stop() }
        try await withThrowingDiscardingTaskGroup { group in
            if let relay { group.addTask { await relay.run() } }
            try await feed.run()
            group.cancelAll()
        }
    }
}
