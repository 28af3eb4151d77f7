import Ledger
import Synchronization

/// The newest log position announced over Redis pub/sub, and the live feeds waiting for it to
/// move. While the subscription is down it is not ``isHealthy`` and wakes everyone, so that
/// they fall back to PostgreSQL's own LISTEN until it returns.
final class LiveSignal: Sendable {
    private let healthy = Atomic<Bool>(false)
    private let waiters = PositionWaiters()

    var isHealthy: Bool { healthy.load(ordering: .acquiring) }

    /// A position announced by the relay.
    func announce(_ position: Int64) { waiters.advance(to: position) }

    /// The subscription came up or went down; either way, waiters look at the log again.
    func setHealthy(_ up: Bool) {
        healthy.store(up, ordering: .releasing)
        waiters.wakeAll()
    }

    /// Returns when a position past `position` is announced, the health changes, `timeout`
    /// passes or the caller is cancelled.
    func wait(after position: Int64, timeout: Duration) async {
        await waiters.wait(after: position, timeout: timeout) { [self] in !self.healthy.load(ordering: .acquiring) }
    }
}
