import Foundation
import Ledger
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
    /// The row an event belongs to; nil to ignore it.
    static func key(of record: DomainRecord) -> String?
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

    public func apply(_ events: [RecordedEvent], schema: String, connection: PostgresConnection, logger: Logger) async throws {
        var keyed: [(String, DomainRecord)] = []
        keyed.reserveCapacity(events.count)
        for event in events {
            let record = try event.domainRecord()
            if let key = Fold.key(of: record) { keyed.append((key, record)) }
        }
        guard !keyed.isEmpty else { return }
        var states = try await load(Array(Set(keyed.map(\.0))), schema: schema, connection: connection, logger: logger)
        var changed: [String: Int64] = [:]
        for (key, record) in keyed {
            if var state = states[key] {
                Fold.apply(record, to: &state)
                states[key] = state
            } else if let state = Fold.start(record) {
                states[key] = state
            } else {
                continue
            }
            changed[key] = record.position
        }
        guard !changed.isEmpty else { return }
        var keys: [String] = [], bodies: [String] = [], positions: [Int64] = []
        for (key, position) in changed.sorted(by: { $0.key < $1.key }) {
            keys.append(key)
            bodies.append(String(decoding: try LedgerJSON.encode(states[key]!), as: UTF8.self))
            positions.append(position)
        }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).state (key, state, position)
            SELECT k, s::jsonb, p FROM unnest(\(keys)::text[], \(bodies)::text[], \(positions)::bigint[]) AS u(k, s, p)
            ON CONFLICT (key) DO UPDATE SET state = excluded.state, position = excluded.position
            """, logger: logger)
    }

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
