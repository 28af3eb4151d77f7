import Ledger
import LedgerRedis
import Logging
import ServiceLifecycle

/// Publishes the log's head to Redis once for all gateways: every gateway runs one, but only
/// the holder of a short Redis lease (renewed every 2 s, lost 6 s after its holder stops)
/// listens to PostgreSQL and announces each new head on ``channel``. The others only
/// subscribe. So N gateways wake from one LISTEN, and a gateway that dies is replaced within
/// seconds.
struct LiveRelay: Sendable {
    static let channel = "ledger:live:head"
    static let leaseKey = "ledger:live:relay"

    let redis: RedisClient
    let store: EventStore
    let instance: String
    let logger: Logger

    /// Takes the lease when it is free, renews it when held; answers whether it is held.
    private static let leaseScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
        return 0
        """

    func run() async {
        var announced: Int64 = -1
        while !Task.isCancelled {
            let holding = (try? await redis.command("EVAL", Self.leaseScript, "1", Self.leaseKey, instance, "6000").integer) == 1
            let until = ContinuousClock.now + .seconds(2)
            guard holding else {
                try? await Task.sleep(for: .seconds(2))
                continue
            }
            while ContinuousClock.now < until, !Task.isCancelled {
                do {
                    let head = store.headListener.isListening ? store.headListener.head : try await store.headPosition()
                    if head > announced {
                        _ = try await redis.command("PUBLISH", Self.channel, String(head))
                        announced = head
                    }
                    try await store.waitForAppend(after: announced, timeout: max(.milliseconds(1), ContinuousClock.now.duration(to: until)))
                } catch {
                    if Task.isCancelled { return }
                    logger.debug("live relay could not announce", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }
}
