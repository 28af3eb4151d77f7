import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The one connection of a process that LISTENs for commits: it publishes the head position to
/// every waiter in the process (subscriptions, projection runners, live streams), so that
/// waiting never holds a pooled connection. After PostgreSQL restarts it reconnects, re-reads
/// the head and wakes everyone, who then read what they missed from the log.
///
/// Run it in the process's `ServiceGroup`; ``EventStore/waitForAppend(after:timeout:)`` uses it
/// while it runs and falls back to a LISTEN of its own otherwise.
public final class HeadListener: Service, Sendable {
    private struct State {
        var running = false
        var listening = false
    }

    private let state = Mutex(State())
    private let waiters = PositionWaiters()
    private let client: PostgresClient
    private let logger: Logger
    private let reconnectDelay: Duration

    public init(client: PostgresClient, reconnectDelay: Duration = .milliseconds(500), logger: Logger) {
        self.client = client
        self.logger = logger
        self.reconnectDelay = reconnectDelay
    }

    /// Whether ``run()`` is running (waiters then rely on it rather than listening themselves).
    public var isRunning: Bool { state.withLock { $0.running } }
    /// Whether it is connected and listening now (false while PostgreSQL is away).
    public var isListening: Bool { state.withLock { $0.listening } }
    /// The highest head position it has heard of.
    public var head: Int64 { waiters.head }
    /// How many are waiting (for metrics and tests).
    public var waiterCount: Int { waiters.count }

    /// Listens until cancelled or the service group shuts down, reconnecting after failures.
    public func run() async throws {
        state.withLock { $0.running = true }
        defer { state.withLock { $0.running = false } }
        let logger = logger
        let listening = ListeningConnection(client: client, channel: EventStore.notificationChannel, reconnectDelay: reconnectDelay, logger: logger)
        await cancelWhenGracefulShutdown {
            await listening.run(
                lostMessage: "head listener lost the database; reconnecting",
                connected: { connection in
                    // Read after LISTEN, so that no commit falls between the two.
                    var head: Int64 = 0
                    for try await position in try await connection.query("SELECT position FROM ledger.head", logger: logger).decode(Int64.self) {
                        head = position
                    }
                    self.publish(head)
                    DatabaseStatus.markBack(self.client)
                    self.setListening(true)
                },
                heard: { if let position = Int64($0) { self.publish(position) } },
                lost: { databaseAway in
                    // Only an unreachable database counts (a stop is not an outage: the others
                    // may still write on the way out; nor is a failure of LISTEN itself).
                    if databaseAway && !Task.isCancelled { DatabaseStatus.markAway(self.client) }
                    self.setListening(false)
                })
        }
        DatabaseStatus.markBack(client)
    }

    /// Returns once the head is known to be past `position`, or after `timeout`, or when the
    /// caller is cancelled — whichever comes first.
    public func wait(after position: Int64, timeout: Duration) async {
        await waiters.wait(after: position, timeout: timeout)
    }

    func publish(_ position: Int64) {
        waiters.advance(to: position)
    }

    /// Losing or regaining the connection wakes everyone: events may have been missed meanwhile.
    private func setListening(_ listening: Bool) {
        let changed = state.withLock { state -> Bool in
            guard state.listening != listening else { return false }
            state.listening = listening
            return true
        }
        if changed { waiters.wakeAll() }
    }
}
