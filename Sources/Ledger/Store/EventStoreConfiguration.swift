/// Tuning of an ``EventStore``. The defaults suit a single PostgreSQL on a small machine.
public struct EventStoreConfiguration: Sendable {
    /// At most this many append requests share one transaction (group commit).
    public var maximumBatchRequests: Int = 256
    /// At most this many events go into one transaction unless a single request is larger.
    public var maximumBatchEvents: Int = 5_000
    /// Rows per INSERT statement when a transaction writes many events.
    public var insertChunkSize: Int = 2_000
    /// Events per query when reading all streams or catching up a subscription.
    public var readBatchSize: Int = 1_000
    /// How long a caught-up subscription waits for a NOTIFY before it looks anyway (the safety net).
    public var pollInterval: Duration = .seconds(1)
    /// How long a caught-up subscription waits while the process's ``HeadListener`` is
    /// listening (it wakes the subscription on every commit; this is only the safety net).
    public var listeningPollInterval: Duration = .seconds(30)
    /// How long a subscription waits before it retries after losing its connection.
    public var reconnectDelay: Duration = .milliseconds(500)

    /// Keeps every append transaction open for a random number of milliseconds in this range
    /// after its rows are written and before it commits. Only tests set it, to prove that readers
    /// still never skip an event.
    package var holdTransactionsOpen: ClosedRange<Int>?

    public init() {}
}
