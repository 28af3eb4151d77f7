import Projections

/// A test projection that wraps a real one and changes only how batches are applied: it takes
/// its name, version, event types, tables and definitions from `inner`.
protocol WrappingProjection: Projection {
    var inner: any Projection { get }
}

extension WrappingProjection {
    var name: String { inner.name }
    var version: Int { inner.version }
    var eventTypes: Set<String> { inner.eventTypes }
    var tables: [String] { inner.tables }
    func definitions(schema: String) -> [String] { inner.definitions(schema: schema) }
}
