import Foundation
import Ledger
import Logging
import PostgresNIO

/// Keeps one projection up to date with the log, in any number of processes at once: the one
/// holding the projection's advisory lock is active, the others stand by and take over when
/// its connection (or process) dies.
///
/// The active runner creates the live copy when there is none, rebuilds it beside the old one
/// when the code's ``Projection/version`` is newer, then applies new events in batches, each
/// with its checkpoint in one transaction. A bad event stops only this projection: it is
/// recorded in the registry (position, type, reason) and retried after
/// ``ProjectionRunnerConfiguration/failureRetryInterval``, resuming from there once fixed.
public struct ProjectionRunner: Sendable {
    public let projection: any Projection
    let store: EventStore
    let client: PostgresClient
    let logger: Logger
    let configuration: ProjectionRunnerConfiguration

    public init(
        projection: any Projection, store: EventStore, client: PostgresClient,
        configuration: ProjectionRunnerConfiguration = .init(), logger: Logger
    ) {
        self.projection = projection
        self.store = store
        self.client = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "projection.name"] = "\(projection.name)"
        self.logger = logger
    }

    var registry: ProjectionRegistry { ProjectionRegistry(projection: projection, logger: logger) }
    var applier: ProjectionApplier { ProjectionApplier(projection: projection, store: store, logger: logger) }

    /// Runs until the task is cancelled: active when it holds the lock, standing by otherwise
    /// (a ``ProjectionGroupRunner`` of this one projection).
    public func run() async throws {
        try await ProjectionGroupRunner(runners: [self], logger: logger).run()
    }

    /// Makes sure a live copy of the current version exists, building it when it does not and
    /// rebuilding it beside the old one (which keeps serving) when the code is newer.
    func prepareLive(on connection: PostgresConnection) async throws {
        let live = ProjectionSchema.live(projection)
        let row = try await registry.row(on: connection)
        if let row, row.version > projection.version {
            throw LedgerError(
                .invalidArgument,
                "projection \(projection.name) is at version \(row.version) but this build knows only \(projection.version); not touching it")
        }
        let liveExists = try await live.exists(on: connection, logger: logger)
        if let row, row.version == projection.version, liveExists { return }
        if row == nil || !liveExists {
            try await live.create(for: projection, on: connection, logger: logger)
            try await registry.register(version: projection.version, on: connection)
            logger.info("created", metadata: ["projection.version": "\(projection.version)"])
            return
        }
        logger.notice("code is newer than the live copy; rebuilding beside it", metadata: ["projection.version": "\(projection.version)"])
        let rebuilder = ProjectionRebuilder(runner: self)
        try await rebuilder.build(on: connection, progress: { _ in })
        try await rebuilder.swap(on: connection)
    }

    /// Brings the live copy up to `position` (the head as it is now when nil) and returns —
    /// read-your-writes for a caller that just wrote: pass the position its append returned.
    /// When another runner is active it waits (up to `timeout`) for that one to get there
    /// instead, and takes over if that runner goes away meanwhile (a killed projector's lock is
    /// only freed once its server process notices). Returns false when the projection could not
    /// catch up (stopped by a bad event, or the active runner is behind).
    @discardableResult
    public func catchUp(through position: Int64? = nil, timeout: Duration = .seconds(30)) async throws -> Bool {
        let head: Int64 = if let position { position } else { try await store.headPosition() }
        return try await client.withLiveConnection { connection in
            let deadline = ContinuousClock.now + timeout
            while true {
                if try await registry.tryLock(ProjectionRegistry.runnerLockClass, on: connection) {
                    do {
                        let caughtUp = try await catchUpHoldingLock(to: head, on: connection)
                        await registry.release(ProjectionRegistry.runnerLockClass, on: connection)
                        return caughtUp
                    } catch {
                        await registry.release(ProjectionRegistry.runnerLockClass, on: connection)
                        throw error
                    }
                }
                if try await ProjectionSchema.live(projection).exists(on: connection, logger: logger),
                    try await ProjectionSchema.live(projection).checkpoint(on: connection, logger: logger).position >= head
                {
                    return true
                }
                // Stopped by a bad event, the active runner will not get there: say so now.
                if try await registry.row(on: connection)?.failed == true { return false }
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

extension ProjectionRunner {
    func catchUpHoldingLock(to head: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await prepareLive(on: connection)
        let live = ProjectionSchema.live(projection)
        var checkpoint = try await live.checkpoint(on: connection, logger: logger)
        do {
            guard try await applier.catchUp(live, checkpoint: &checkpoint, through: head, batchSize: configuration.batchSize, on: connection)
            else { return false }
        } catch let failure as ProjectionEventError {
            try await registry.recordFailure(failure, on: connection)
            return false
        }
        if try await registry.row(on: connection)?.failed == true { try await registry.clearFailure(on: connection) }
        return true
    }
}

/// Events per second over the last few seconds.
struct RateMeter {
    private var windowStart = ContinuousClock.now
    private var windowEvents = 0
    private(set) var rate = 0.0

    mutating func record(_ events: Int) {
        windowEvents += events
        let elapsed = ContinuousClock.now - windowStart
        if elapsed >= .seconds(2) {
            rate = Double(windowEvents) / elapsed.seconds
            windowStart = ContinuousClock.now
            windowEvents = 0
        }
    }
}
