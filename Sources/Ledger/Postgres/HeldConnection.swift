import PostgresNIO
import Synchronization

/// One pooled connection kept leased for as long as it keeps being used, for a caller that uses
/// one connection at a time, request after request (the append writer).
///
/// Leasing from the pool for every request is not free: each release to idle arms the pool's
/// idle and keep-alive timers (a few tasks and a dispatch timer) and the next lease cancels
/// them — for a lone writer that was more client time than the append's own work
/// (docs/performance.md). Here a holder task leases one connection and keeps it while it is
/// used; it hands it back once a whole ``linger`` went by without a use, or when it closed.
/// The first use after that leases from the pool as before and starts a new holder.
///
/// A connection taken here is used by one caller at a time: a caller that finds it in use (or
/// closed, or not yet held) leases its own from the pool for that request. It is one of the
/// pool's connections, taken for as long as appends keep coming: the pool needs room for it
/// beside the head listener's and the readers' (the service's pools have twenty).
final class HeldConnection: Sendable {
    private struct State {
        var held: PostgresConnection?
        var inUse = false
        /// Uses so far: the holder compares it across a linger to tell idle from busy.
        var uses: UInt64 = 0
        var holderRunning = false
    }

    private let client: PostgresClient
    private let linger: Duration
    private let state = Mutex(State())

    init(client: PostgresClient, linger: Duration = .milliseconds(500)) {
        self.client = client
        self.linger = linger
    }

    /// The connection held now, if any (for tests).
    var heldNow: PostgresConnection? { state.withLock { $0.held } }

    private enum Taken {
        case held(PostgresConnection)
        case pool(startHolder: Bool)
    }

    /// Runs `body` on the held connection if it is free, else on one leased from the pool;
    /// throws when the pool cannot lease one.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async -> T) async throws -> T {
        let taken: Taken = state.withLock { state in
            if let held = state.held, !state.inUse, !held.isClosed {
                state.inUse = true
                state.uses &+= 1
                return .held(held)
            }
            let startHolder = !state.holderRunning
            state.holderRunning = true
            return .pool(startHolder: startHolder)
        }
        switch taken {
        case .held(let connection):
            defer { state.withLock { $0.inUse = false } }
            return await body(connection)
        case .pool(let startHolder):
            if startHolder { startHolding() }
            return try await client.withConnection { await body($0) }
        }
    }

    /// Leases a connection and keeps it until it closes or a linger passes unused.
    private func startHolding() {
        // Not awaited: it lives as long as the connection is in use. A pool that shuts down
        // closes the connection, which ends the holder at its next look.
        Task {
            _ = try? await client.withConnection { connection in
                state.withLock { $0.held = connection }
                var seen = UInt64.max
                while true {
                    try? await Task.sleep(for: linger)
                    let release = state.withLock { state in
                        guard connection.isClosed || (!state.inUse && state.uses == seen) else { return false }
                        state.held = nil
                        return true
                    }
                    if release { return }
                    seen = state.withLock { $0.uses }
                }
            }
            state.withLock { state in
                state.held = nil
                state.holderRunning = false
            }
        }
    }
}
