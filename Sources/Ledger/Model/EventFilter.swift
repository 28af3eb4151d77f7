/// Narrows a read of all streams to some stream categories and/or event types.
///
/// An empty set means "no restriction" on that dimension.
public struct EventFilter: Sendable, Hashable {
    public var categories: Set<String>
    public var eventTypes: Set<String>

    public init(categories: Set<String> = [], eventTypes: Set<String> = []) {
        self.categories = categories
        self.eventTypes = eventTypes
    }

    /// Every event.
    public static let all = EventFilter()

    public var isUnrestricted: Bool { categories.isEmpty && eventTypes.isEmpty }

    /// Whether `event` passes the filter (the same rule the SQL applies).
    public func matches(_ event: RecordedEvent) -> Bool {
        (categories.isEmpty || categories.contains(event.streamID.category))
            && (eventTypes.isEmpty || eventTypes.contains(event.type))
    }
}
