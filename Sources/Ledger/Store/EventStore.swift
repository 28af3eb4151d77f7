import Logging
import PostgresNIO

/// The event log on PostgreSQL: atomic multi-stream appends with optimistic concurrency and
/// idempotent retries, reads of one stream or of all streams in global order, and live
/// subscriptions.
///
/// The store is generic: it stores JSON payloads under type names and knows nothing about
/// deployments. It needs a running `PostgresClient` (run it in the caller's task group or
/// service group) and a database migrated by ``SchemaMigrator``.
public final class EventStore: Sendable {
    /// The NOTIFY channel a commit signals on; its payload is the new head position.
    public static let notificationChannel = "ledger_events"

    let client: PostgresClient
    let logger: Logger
    let configuration: EventStoreConfiguration
    let coordinator: AppendCoordinator
    /// The process's one LISTEN connection; run it as a service to let waiters share it.
    public let headListener: HeadListener
    /// Values its callers folded from its streams, so that the next fold reads only what is new.
    public let folds = StreamFoldCache()

    public init(client: PostgresClient, configuration: EventStoreConfiguration = .init(), logger: Logger) {
        self.client = client
        self.logger = logger
        self.configuration = configuration
        self.headListener = HeadListener(client: client, reconnectDelay: configuration.reconnectDelay, logger: logger)
        self.coordinator = AppendCoordinator(
            limits: .init(maximumRequests: configuration.maximumBatchRequests, maximumEvents: configuration.maximumBatchEvents),
            writer: BatchWriter(client: client, configuration: configuration, logger: logger))
    }

    /// Appends all of `request` atomically and returns the new versions and positions.
    ///
    /// - Throws: ``AppendConflict`` when a stream is not at its expected version,
    ///   ``EventIDReused`` when an id already names a different event, ``LedgerError`` for
    ///   invalid input or database failures. In every such case nothing was written.
    ///   Resending a request whose events were all written returns the original result.
    public func append(_ request: AppendRequest) async throws -> AppendResult {
        try request.validate()
        let started = ContinuousClock.now
        let result = try await coordinator.submit(request)
        AppendMetrics.record(events: request.streams.reduce(0) { $0 + $1.events.count }, since: started)
        return result
    }

    /// Appends `request` and, in the same transaction, runs `alongside` (on the transaction's
    /// connection): for a row that must exist exactly when its event does, such as a token's
    /// hash beside the token's creation event. `alongside` does not run when the request was
    /// already written (a resend answered with its first result) or is refused, and its failure
    /// writes nothing. Takes the locked path, outside the group commit: for rare commands only.
    public func append(
        _ request: AppendRequest, alongside: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws -> AppendResult {
        try request.validate()
        let started = ContinuousClock.now
        let outcome: AppendPlanner.Outcome
        do {
            outcome = try await coordinator.writer.writeLocked([request], alongside: alongside)[0]
        } catch let error as PSQLError {
            coordinator.writer.invalidate()
            throw LedgerError(.database, "the append could not be written: \(PostgresErrorText.safe(error))", underlying: error)
        }
        switch outcome {
        case .appended(let result), .alreadyAppended(let result):
            AppendMetrics.record(events: request.eventCount, since: started)
            return result
        case .rejected(let error):
            throw error
        case .deferred:
            throw LedgerError(.database, "the append could not be planned alone; try again")
        }
    }

    /// How this store's batches were written so far.
    public var appendPathCounts: AppendPathCounts { coordinator.writer.counters.current }

    /// Appends events to one stream.
    public func append(
        to streamID: StreamID, expectedVersion: ExpectedVersion = .any, events: [NewEvent]
    ) async throws -> AppendResult {
        try await append(AppendRequest([StreamAppend(streamID: streamID, expectedVersion: expectedVersion, events: events)]))
    }
}
