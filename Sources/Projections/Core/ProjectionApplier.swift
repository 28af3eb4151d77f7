import Ledger
import Logging
import PostgresNIO

/// Applies pages of events to one copy of a projection (live or being rebuilt), each page with
/// its checkpoint in one transaction. When a page fails on a bad event it applies the page one
/// event at a time to find it: everything before it commits, the projection stops there.
struct ProjectionApplier: Sendable {
    let projection: any Projection
    let store: EventStore
    let logger: Logger

    /// What one step did.
    enum Step {
        case applied(events: Int, position: Int64)
        case idle(position: Int64)
    }

    var filter: EventFilter { EventFilter(eventTypes: projection.eventTypes) }

    /// Reads the next page after `checkpoint` and applies it to `schema`.
    func step(
        _ schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint, batchSize: Int, rate: Double,
        saveIdleCheckpoint: Bool, scratch: ProjectionScratch? = nil, on connection: PostgresConnection
    ) async throws -> Step {
        let page = try await store.readAll(after: checkpoint.position, filter: filter, limit: batchSize)
        return try await apply(
            page, to: schema, checkpoint: &checkpoint, rate: rate, saveIdleCheckpoint: saveIdleCheckpoint, scratch: scratch, on: connection)
    }

    /// Applies a page just read. An empty one only moves the checkpoint past what it scanned
    /// (when `saveIdleCheckpoint`), so other projections' events are not scanned again.
    private func apply(
        _ page: ReadPage, to schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint, rate: Double,
        saveIdleCheckpoint: Bool, scratch: ProjectionScratch?, on connection: PostgresConnection
    ) async throws -> Step {
        if page.events.isEmpty {
            if page.scannedThrough > checkpoint.position && saveIdleCheckpoint {
                checkpoint.position = page.scannedThrough
                try await schema.saveCheckpoint(checkpoint, rate: 0, on: connection, logger: logger)
            }
            return .idle(position: page.scannedThrough)
        }
        var batch = ProjectionBatch(page.events)
        batch.scratch = scratch
        return try await apply(batch, through: page.scannedThrough, to: schema, checkpoint: &checkpoint, rate: rate, on: connection)
    }

    /// Applies a batch already read (and perhaps decoded) to `schema`, moving the checkpoint to
    /// `scannedThrough` in the same transaction.
    func apply(
        _ batch: ProjectionBatch, through scannedThrough: Int64, to schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint,
        rate: Double, on connection: PostgresConnection
    ) async throws -> Step {
        let before = checkpoint
        var after = checkpoint
        after.position = scannedThrough
        after.events += Int64(batch.count)
        do {
            try await connection.inTransaction(logger: logger) { connection in
                if !batch.isEmpty { try await projection.apply(batch, schema: schema.name, connection: connection, logger: logger) }
                try await schema.saveCheckpoint(after, rate: rate, on: connection, logger: logger)
            }
            checkpoint = after
            return .applied(events: batch.count, position: after.position)
        } catch {
            // The batch did not commit: nothing remembered from it may be used.
            batch.scratch?.clear()
            guard Self.isCausedByEvents(error) else { throw error }
            checkpoint = before
            try await applyOneByOne(batch, to: schema, checkpoint: &checkpoint, rate: rate, on: connection)
            // Every event went through on its own: the failure was not theirs after all. A
            // rebuild cannot go on, though: rows its earlier batches kept in memory, unwritten,
            // went with the scratch, so its copy would miss them. It is discarded instead.
            if batch.scratch != nil {
                throw LedgerError(
                    .database,
                    "a batch of the \(projection.name) rebuild failed (\(PostgresErrorText.safe(error))) though no event in it fails alone; "
                        + "the fresh copy is discarded, run the rebuild again")
            }
            checkpoint.position = scannedThrough
            try await schema.saveCheckpoint(checkpoint, rate: rate, on: connection, logger: logger)
            return .applied(events: batch.count, position: checkpoint.position)
        }
    }

    /// Applies pages until the copy reaches `head` (or, without one, until a page comes back
    /// empty), calling `afterPage` after each page; the next page is read (on another pooled
    /// connection) while this one is applied. Returns false when the log ran dry before `head`.
    /// A bad event is thrown as ``ProjectionEventError`` with everything before it applied.
    func catchUp(
        _ schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint, through head: Int64?, batchSize: Int,
        scratch: ProjectionScratch? = nil, on connection: PostgresConnection, afterPage: (ProjectionSchema.Checkpoint) -> Void = { _ in }
    ) async throws -> Bool {
        guard head.map({ checkpoint.position < $0 }) ?? true else { return true }
        let store = store, filter = filter
        let read: @Sendable (Int64) async throws -> ReadPage = { try await store.readAll(after: $0, filter: filter, limit: batchSize) }
        let start = checkpoint.position
        // Read ahead: the next page is read while this one is applied (each awaited in turn).
        var pending: Task<ReadPage, any Error>? = Task { try await read(start) }
        defer { pending?.cancel() }
        while let reading = pending {
            let page = try await reading.value
            let more = !page.events.isEmpty && (head.map { page.scannedThrough < $0 } ?? true)
            pending = more ? Task { try await read(page.scannedThrough) } : nil
            let step = try await apply(page, to: schema, checkpoint: &checkpoint, rate: 0, saveIdleCheckpoint: true, scratch: scratch, on: connection)
            if case .idle = step { return head.map { checkpoint.position >= $0 } ?? true }
            afterPage(checkpoint)
        }
        return true
    }

    private func applyOneByOne(
        _ batch: ProjectionBatch, to schema: ProjectionSchema, checkpoint: inout ProjectionSchema.Checkpoint, rate: Double,
        on connection: PostgresConnection
    ) async throws {
        for index in 0..<batch.count {
            let event = batch.event(index)
            var after = checkpoint
            after.position = event.position
            after.events += 1
            do {
                try await connection.inTransaction(logger: logger) { connection in
                    try await projection.apply(batch.single(index), schema: schema.name, connection: connection, logger: logger)
                    try await schema.saveCheckpoint(after, rate: rate, on: connection, logger: logger)
                }
                checkpoint = after
            } catch {
                batch.scratch?.clear()
                if let failure = error as? ProjectionEventError { throw failure }
                guard Self.isCausedByEvents(error) else { throw error }
                throw ProjectionEventError(position: event.position, eventType: event.type, reason: PostgresErrorText.safe(error))
            }
        }
    }

    /// A bad event shows as our own decoding error or as the server refusing the rows; a lost
    /// connection is neither and is retried instead.
    static func isCausedByEvents(_ error: any Error) -> Bool {
        if error is ProjectionEventError { return true }
        if let error = error as? PSQLError, error.serverInfo != nil { return true }
        return false
    }
}
