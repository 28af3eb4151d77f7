/// How far a long archive operation has got: what a progress line shows.
public struct ArchiveProgress: Sendable {
    public var events: Int64
    /// Events the whole operation covers (0 when not known).
    public var totalEvents: Int64
    /// Bytes done so far (uncompressed when writing, compressed when reading).
    public var bytes: Int64

    public init(events: Int64, totalEvents: Int64, bytes: Int64) {
        self.events = events
        self.totalEvents = totalEvents
        self.bytes = bytes
    }
}
