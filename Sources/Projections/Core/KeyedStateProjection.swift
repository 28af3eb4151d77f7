import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// A fold that keeps one JSON state per key (a deployment, an environment, …): the shape of
/// most read models. The pure part (``key(of:)``, ``start(_:)``, ``apply(_:to:)``) is
/// unit-testable; ``KeyedStateProjection`` does the storage.
public protocol KeyedFold: Sendable {
    associatedtype State: Codable & Sendable & Equatable
    static var name: String { get }
    static var version: Int { get }
    static var eventTypes: Set<String> { get }
    /// Index column lists over `state`, e.g. `(state->>'organisationID')`, one index each.
    static var indexedExpressions: [String] { get }
    /// The row the events of a stream belong to (rows are per stream: a deployment, an
    /// environment, an organisation); nil to ignore the stream.
    static func key(of stream: StreamID) -> String?
    /// The first state of a key, from the event that creates it (nil: not a creating event).
    static func start(_ record: DomainRecord) -> State?
    static func apply(_ record: DomainRecord, to state: inout State)
}

/// Stores a ``KeyedFold`` in table `state (key, state jsonb, position)`: per batch it loads the
/// touched keys once, folds in memory and upserts each changed key once.
public struct KeyedStateProjection<Fold: KeyedFold>: Projection {
    public init() {}

    public var name: String { Fold.name }
    public var version: Int { Fold.version }
    public var eventTypes: Set<String> { Fold.eventTypes }
    public var tables: [String] { ["state"] }

    public func definitions(schema: String) -> [String] {
        var statements = [
            "CREATE TABLE \(schema).state (key text PRIMARY KEY, state jsonb NOT NULL, position bigint NOT NULL)"
        ]
        for (index, expression) in Fold.indexedExpressions.enumerated() {
            statements.append("CREATE INDEX state_\(index) ON \(schema).state (\(expression))")
        }
        return statements
    }

    public func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
        let eventsByKey = Self.eventsByKey(in: batch)
        guard !eventsByKey.isEmpty else { return }
        // While a rebuild fills its fresh copy, the rows stay in memory between batches: most
        // change in several. A row is written once it has rested for a while (and again only if
        // it changes after all); the rest at the end (``finishBuild``).
        var memory = batch.scratch?.take(Memory.self) ?? Memory()
        let missing = eventsByKey.keys.filter { memory.states[$0] == nil }
        if !missing.isEmpty {
            memory.states.merge(try await load(missing, schema: schema, connection: connection, logger: logger)) { kept, _ in kept }
        }
        var changed: [String: Int64] = [:]
        for (key, indices) in eventsByKey {
            // Out of the dictionary while it changes, so it is changed in place.
            var state = memory.states.removeValue(forKey: key)
            let lastPosition = try Self.fold(indices, of: batch, into: &state)
            if let state { memory.states[key] = state }
            if let lastPosition { changed[key] = lastPosition }
        }
        guard let scratch = batch.scratch else {
            try await write(changed, from: memory.states, schema: schema, connection: connection, logger: logger)
            return
        }
        try await keep(changed, in: &memory, schema: schema, connection: connection, logger: logger)
        scratch.keep(memory)
    }

    /// Each key's events (by their index in the batch) in order: its row is then taken out,
    /// folded and put back once. The records stay in the batch, read in place.
    static func eventsByKey(in batch: ProjectionBatch) -> [String: [Int]] {
        var eventsByKey: [String: [Int]] = [:]
        // A stream's events come in runs: its key is worked out once per run.
        var runStream: StreamID?, runKey: String?
        for index in 0..<batch.count {
            let stream = batch.streamID(index)
            if stream != runStream {
                runStream = stream
                runKey = Fold.key(of: stream)
            }
            if let runKey { eventsByKey[runKey, default: []].append(index) }
        }
        return eventsByKey
    }

    /// Folds the events at `indices` into `state` (started by the first event that creates it);
    /// the position of the last event that changed it, nil when none did.
    static func fold(_ indices: [Int], of batch: ProjectionBatch, into state: inout Fold.State?) throws -> Int64? {
        var lastPosition: Int64?
        for index in indices {
            try batch.withRecord(index) { record in
                if state != nil {
                    Fold.apply(record, to: &state!)
                } else if let started = Fold.start(record) {
                    state = started
                } else {
                    return
                }
                lastPosition = record.position
            }
        }
        return lastPosition
    }

    /// A rebuild's bookkeeping after a batch: the `changed` rows are unwritten as of this batch;
    /// rows that have rested long enough are written now, or every row once too many are kept.
    private func keep(
        _ changed: [String: Int64], in memory: inout Memory, schema: String, connection: PostgresConnection, logger: Logger
    ) async throws {
        memory.batches += 1
        for (key, position) in changed { memory.unwritten[key] = Memory.Unwritten(position: position, batch: memory.batches) }
        if memory.states.count > Self.keptRowsLimit {
            try await write(memory.unwritten.mapValues(\.position), from: memory.states, schema: schema, connection: connection, logger: logger)
            memory = Memory()
        } else {
            // Written now rather than all at the end, where they would be the last thing left to do.
            let rested = memory.unwritten.filter { memory.batches - $0.value.batch >= Self.restingBatches }
            if !rested.isEmpty {
                try await write(rested.mapValues(\.position), from: memory.states, schema: schema, connection: connection, logger: logger)
                for key in rested.keys { memory.unwritten[key] = nil }
            }
        }
    }

    public func finishBuild(_ scratch: ProjectionScratch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
        guard let memory = scratch.take(Memory.self) else { return }
        try await write(memory.unwritten.mapValues(\.position), from: memory.states, schema: schema, connection: connection, logger: logger)
    }

    /// What a rebuild keeps between batches: the rows as they are now, and which of them are
    /// not written yet (with the position of their last event and the batch that changed them).
    struct Memory: Sendable {
        struct Unwritten: Sendable {
            var position: Int64
            var batch: Int
        }
        var states: [String: Fold.State] = [:]
        var unwritten: [String: Unwritten] = [:]
        /// Batches applied so far.
        var batches = 0
    }

    /// How many batches a row must go unchanged before a rebuild writes it: long enough that
    /// most rows are finished (a deployment's events span a page or two), short enough that
    /// little is left for the end.
    static var restingBatches: Int { 2 }

    /// The most rows a rebuild keeps in memory; past it, they are written and forgotten.
    static var keptRowsLimit: Int { 100_000 }

    /// Upserts `changed` keys (each with the position of its last event) from `states`, in
    /// chunks, each encoded while PostgreSQL stores the one before.
    private func write(
        _ changed: [String: Int64], from states: [String: Fold.State], schema: String, connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !changed.isEmpty else { return }
        let ordered = changed.sorted { $0.key < $1.key }
        // Key order inside the JSON does not matter here: jsonb keeps its own.
        let encoder = StreamingJSONEncoder(replacesNUL: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var storing = false
            for start in stride(from: 0, to: ordered.count, by: Self.rowsPerStatement) {
                var keys: [String] = [], bodies: [String] = [], positions: [Int64] = []
                for (key, position) in ordered[start..<min(start + Self.rowsPerStatement, ordered.count)] {
                    keys.append(key)
                    bodies.append(try encoder.encode(states[key]!))
                    positions.append(position)
                }
                if storing { try await group.next() }
                group.addTask {
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: schema).state (key, state, position)
                        SELECT k, s::jsonb, p FROM unnest(\(keys)::text[], \(bodies)::text[], \(positions)::bigint[]) AS u(k, s, p)
                        ON CONFLICT (key) DO UPDATE SET state = excluded.state, position = excluded.position
                        """, logger: logger)
                }
                storing = true
            }
            try await group.waitForAll()
        }
    }

    /// Rows per INSERT when writing many.
    static var rowsPerStatement: Int { 2_000 }

    private func load(_ keys: [String], schema: String, connection: PostgresConnection, logger: Logger) async throws -> [String: Fold.State] {
        var states: [String: Fold.State] = [:]
        let rows = try await connection.query(
            "SELECT key, state::text FROM \(unescaped: schema).state WHERE key = ANY(\(keys)::text[])", logger: logger)
        for try await (key, body) in rows.decode((String, String).self) {
            states[key] = try LedgerJSON.decode(Fold.State.self, from: Data(body.utf8))
        }
        return states
    }
}
