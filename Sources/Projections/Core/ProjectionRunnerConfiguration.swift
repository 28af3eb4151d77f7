/// How a projection runner works, with defaults for a production service.
public struct ProjectionRunnerConfiguration: Sendable {
    /// The most events applied in one transaction.
    public var batchSize = 2_000
    /// The most events applied in one transaction while a rebuild builds its fresh copy: larger,
    /// since nobody reads the copy yet and each batch loads and stores every touched row once.
    public var rebuildBatchSize = 50_000
    /// The batch size a rebuild actually uses: never smaller than a live batch.
    var effectiveRebuildBatchSize: Int { max(batchSize, rebuildBatchSize) }
    /// How often a standby runner tries to become the active one.
    public var standbyInterval: Duration = .seconds(1)
    /// The slow poll behind LISTEN/NOTIFY while idle.
    public var pollInterval: Duration = .seconds(5)
    /// How long a projection stopped by a bad event waits before trying that event again.
    public var failureRetryInterval: Duration = .seconds(30)
    /// How long to wait after a lost connection before trying again.
    public var reconnectDelay: Duration = .seconds(1)
    /// Checkpoints that only skip over other projections' events are saved at most this often.
    public var idleCheckpointInterval: Duration = .seconds(1)

    public init() {}
}
