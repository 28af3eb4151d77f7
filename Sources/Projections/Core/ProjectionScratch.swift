import Synchronization

/// Memory a projection may keep from one batch to the next while it is the only writer of a copy
/// that nobody reads yet — a rebuild's fresh copy — such as rows it has not written yet. Whoever
/// applies the batches clears it when one fails, since that batch's changes did not commit; a
/// rebuild then stops rather than go on without what was kept.
public final class ProjectionScratch: Sendable {
    private let storage = Mutex<(any Sendable)?>(nil)

    public init() {}

    /// Takes what was kept (leaving nothing), if it is a `Value`.
    public func take<Value: Sendable>(_: Value.Type) -> Value? {
        storage.withLock { stored in
            let value = stored as? Value
            stored = nil
            return value
        }
    }

    /// Keeps `value` for the next batch.
    public func keep(_ value: some Sendable) {
        storage.withLock { $0 = value }
    }

    public func clear() {
        storage.withLock { $0 = nil }
    }
}
