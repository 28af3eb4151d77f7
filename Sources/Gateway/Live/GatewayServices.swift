import Ledger
import LedgerAccess
import ServiceLifecycle

/// The gateway's live side as a service of its own: the feed its event streams share and, with
/// Redis, the subscription and relay behind it. Listed beside the server (``GatewayServer/services``),
/// and stopped before it: its end ends every event stream, so open streams do not hold the
/// server's graceful shutdown.
struct GatewayLiveService: Service {
    let live: GatewayLive

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await live.run() }
    }
}

/// Hears token revocations while it runs, so tokens can be checked from memory meanwhile
/// (``TokenCache``); without it every token is read from the database.
struct TokenCacheService: Service {
    let cache: TokenCache

    func run() async throws {
        await cancelWhenGracefulShutdown { await cache.run() }
    }
}
