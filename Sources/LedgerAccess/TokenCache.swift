import Ledger
import Logging
import PostgresNIO
import Synchronization

/// The principals of recently presented API tokens, so that a request with a known token needs
/// no database read; kept only while a LISTEN connection hears every revocation.
///
/// A revocation commits with a NOTIFY on ``channel`` naming the token (see
/// ``TokenStore/revoke(_:context:)``); every process running ``run()`` drops that token when it
/// hears it, and the process that revoked drops it before answering. While the connection is
/// down nothing is cached or served from the cache, and on (re)connecting it starts empty, so
/// a revocation missed meanwhile cannot be honoured late. Expiry is checked on every hit.
public final class TokenCache: Sendable {
    /// The NOTIFY channel of revocations; the payload is the token id.
    public static let channel = "ledger_tokens"
    /// Beyond this many tokens the cache starts over.
    static let capacity = 10_000
    /// A token's use is recorded at most this often.
    static let useRecordingInterval: Duration = .seconds(60)

    struct Entry {
        var principal: Principal
        var expiresAtMicroseconds: Int64
        var useRecordedAt: ContinuousClock.Instant
    }

    private struct State {
        var listening = false
        /// Bumped by every revocation heard and every change of connection: a principal read
        /// from the database is kept only if nothing could have revoked it meanwhile.
        var generation: UInt64 = 0
        var entries: [[UInt8]: Entry] = [:]
    }

    private let state = Mutex(State())
    private let client: PostgresClient
    private let logger: Logger
    private let reconnectDelay: Duration

    public init(client: PostgresClient, reconnectDelay: Duration = .milliseconds(500), logger: Logger) {
        self.client = client
        self.logger = logger
        self.reconnectDelay = reconnectDelay
    }

    /// Whether revocations are heard now (and so the cache is in use).
    public var isListening: Bool { state.withLock { $0.listening } }

    /// The cached principal of a token hash, and whether its use is due to be recorded. With
    /// `claimingUse`, a due use is claimed (the caller records it; no other caller will).
    func principal(forHash hash: [UInt8], nowMicroseconds: Int64, claimingUse: Bool = true) -> (principal: Principal, recordUse: Bool)? {
        state.withLock { state in
            guard state.listening, var entry = state.entries[hash] else { return nil }
            guard entry.expiresAtMicroseconds > nowMicroseconds else {
                state.entries[hash] = nil
                return nil
            }
            let now = ContinuousClock.now
            let recordUse = now - entry.useRecordedAt >= Self.useRecordingInterval
            if recordUse && claimingUse {
                entry.useRecordedAt = now
                state.entries[hash] = entry
            }
            return (entry.principal, recordUse)
        }
    }

    /// Where revocations stand before a database read: pass it to ``keep(_:hash:expiresAtMicroseconds:since:)``.
    /// nil when not listening (nothing will be kept).
    func generation() -> UInt64? {
        state.withLock { $0.listening ? $0.generation : nil }
    }

    /// Keeps a principal read from the database, unless a revocation (or a lost connection)
    /// came between that read and now.
    func keep(_ principal: Principal, hash: [UInt8], expiresAtMicroseconds: Int64, since generation: UInt64) {
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = Entry(principal: principal, expiresAtMicroseconds: expiresAtMicroseconds, useRecordedAt: .now)
        }
    }

    /// Drops a token at once (in this process; others hear the NOTIFY).
    func forget(tokenID: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.principal.tokenID != tokenID }
        }
    }

    private func setListening(_ listening: Bool) {
        state.withLock { state in
            state.listening = listening
            state.generation &+= 1
            state.entries.removeAll()
        }
    }

    /// Listens for revocations until cancelled, reconnecting after failures; the cache is in
    /// use only meanwhile.
    public func run() async {
        await ListeningConnection(client: client, channel: Self.channel, reconnectDelay: reconnectDelay, logger: logger).run(
            lostMessage: "token revocations unheard; checking every token in the database",
            connected: { _ in self.setListening(true) }, heard: { self.forget(tokenID: $0) }, lost: { _ in self.setListening(false) })
    }
}
