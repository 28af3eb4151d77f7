import Foundation
import ArgumentParser
import Gateway
import Ledger
import LedgerRedis
import Logging

/// Redis and the rate limits, for the commands that serve the HTTP API.
package struct LiveOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .customLong("redis"),
        help: ArgumentHelp(
            "Redis for live fan-out and shared rate limits: redis://HOST:PORT, unix:///PATH, or 'off' (env: REDIS_URL). "
                + "Without it, a private Redis is started under --data-dir when the database is the embedded one too.",
            valueName: "url"))
    package var redis: String?

    @Option(name: .customLong("deploy-rate-limit"), help: ArgumentHelp("Deployment operations per organisation a minute, or 'off'.", valueName: "n"))
    package var deployRateLimit = "10"

    @Option(name: .customLong("webhook-rate-limit"), help: ArgumentHelp("Git webhooks per organisation a minute, or 'off'.", valueName: "n"))
    package var webhookRateLimit = "30"

    @Option(
        name: .customLong("rate-limits-without-redis"),
        help: ArgumentHelp("While Redis is unreachable: 'open' (allow, with a warning) or 'closed' (refuse with 503).", valueName: "mode"))
    package var withoutRedis = "open"

    package func validate() throws {
        _ = try limits()
        if let text = redisText, text != "off" {
            do { _ = try RedisAddress(parsing: text) } catch { throw ValidationError("\(error)") }
        }
    }

    package var redisText: String? { redis ?? Environment.value("REDIS_URL") }

    package func limits() throws -> RateLimiter.Limits {
        func count(_ text: String, _ name: String) throws -> Int? {
            if text == "off" { return nil }
            guard let value = Int(text), value > 0 else { throw ValidationError("\(name) takes a positive whole number or 'off' (got '\(text)')") }
            return value
        }
        guard ["open", "closed"].contains(withoutRedis) else {
            throw ValidationError("--rate-limits-without-redis takes open or closed (got '\(withoutRedis)')")
        }
        return RateLimiter.Limits(
            deploymentsPerMinute: try count(deployRateLimit, "--deploy-rate-limit"),
            webhooksPerMinute: try count(webhookRateLimit, "--webhook-rate-limit"), failOpen: withoutRedis == "open")
    }
}

extension LedgerSession {
    /// The gateway's options: the Redis named, or the embedded one when the database is
    /// embedded too (started now and stopped on exit), or none.
    package func gatewayOptions(_ live: LiveOptions, connection: ConnectionOptions) async throws -> GatewayOptions {
        var options = GatewayOptions(limits: try live.limits(), keyring: connection.resolvedKeyring)
        switch live.redisText {
        case "off": break
        case let text?: options.redis = try RedisAddress(parsing: text)
        case nil where connection.resolvedDatabaseURLText == nil:
            let embedded = PrivateRedisServer(directory: URL(fileURLWithPath: connection.resolvedDataDirectory).appendingPathComponent("redis"))
            let log: @Sendable (String) -> Void = { message in if !connection.quiet { printError(message) } }
            let started: Bool
            do {
                started = try await embedded.start(log: log)
            } catch RedisError.missingServer {
                throw LedgerError(.missingDependency, "\(RedisError.missingServer)")
            }
            if started {
                stopper.atExit {
                    log("Stopping the embedded Redis")
                    await embedded.stop()
                }
            }
            options.redis = embedded.address
        case nil:
            logger.notice("no REDIS_URL: rate limits are counted per process and live streams wake from PostgreSQL")
        }
        return options
    }
}
