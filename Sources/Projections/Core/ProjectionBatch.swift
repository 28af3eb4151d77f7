import Ledger

/// The events a projection applies in one transaction, in position order. Built from a page of
/// the log, it decodes an event when a projection asks; built with ``init(decoding:)``, every
/// event is decoded once up front so that several projections rebuilt in one pass share the
/// work instead of each decoding the same events again.
public struct ProjectionBatch: Sendable {
    /// One event in its domain form, and whether its JSON is in the plain shape the fast
    /// decoders read (log lines stored as they are rely on it).
    public struct Decoded: Sendable {
        public var record: DomainRecord
        public var plainJSON: Bool
    }

    public let events: [RecordedEvent]
    /// Memory the projection may keep between batches of a rebuild (nil for live batches).
    public var scratch: ProjectionScratch?
    /// Everything decoded up front, shared (not copied) by the filtered batches made from it.
    private let decoded: DecodedEvents?
    /// Where each of `events` sits in `decoded`.
    private let slots: [Int]

    /// Events decoded on demand, each time a projection asks.
    public init(_ events: [RecordedEvent]) {
        self.events = events
        decoded = nil
        slots = []
    }

    /// Events decoded now, once, for every projection that will read this batch.
    public init(decoding events: [RecordedEvent]) {
        self.events = events
        decoded = DecodedEvents(events.map { event in Result { try Self.decode(event) }.mapError(Self.eventError(event)) })
        slots = Array(events.indices)
    }

    private init(events: [RecordedEvent], decoded: DecodedEvents?, slots: [Int]) {
        self.events = events
        self.decoded = decoded
        self.slots = slots
    }

    public var count: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }

    /// The domain form of the event at `index`; a bad event throws ``ProjectionEventError``.
    public func decoded(_ index: Int) throws -> Decoded {
        if let decoded { return try decoded.results[slots[index]].get() }
        let event = events[index]
        do { return try Self.decode(event) } catch { throw Self.eventError(event)(error) }
    }

    public func record(_ index: Int) throws -> DomainRecord { try decoded(index).record }

    /// Only the events of `types`, sharing what is already decoded.
    public func filtered(to types: Set<String>) -> ProjectionBatch {
        let kept = events.indices.filter { types.contains(events[$0].type) }
        if kept.count == events.count { return self }
        return ProjectionBatch(events: kept.map { events[$0] }, decoded: decoded, slots: decoded == nil ? [] : kept.map { slots[$0] })
    }

    /// Several batches (of consecutive pages) as one, keeping what they have decoded.
    public init(joining batches: [ProjectionBatch]) {
        if batches.count == 1 {
            self = batches[0]
            return
        }
        events = batches.flatMap(\.events)
        if batches.allSatisfy({ $0.decoded != nil }) {
            decoded = DecodedEvents(batches.flatMap { batch in batch.slots.map { batch.decoded!.results[$0] } })
            slots = Array(events.indices)
        } else {
            decoded = nil
            slots = []
        }
    }

    /// Only the event at `index`, for finding the one a failed batch stumbled on.
    func single(_ index: Int) -> ProjectionBatch {
        var one = ProjectionBatch(events: [events[index]], decoded: decoded, slots: decoded == nil ? [] : [slots[index]])
        one.scratch = scratch
        return one
    }

    private static func decode(_ event: RecordedEvent) throws -> Decoded {
        if event.type == LogLinesAppended.eventType, event.schemaVersion == LogLinesAppended.schemaVersion,
            let appended = LogLinesAppended.fastDecode(event.data)
        {
            let record = DomainRecord(
                position: event.position, streamID: event.streamID, streamVersion: event.streamVersion,
                recordedAtMicroseconds: event.recordedAtMicroseconds, event: .logLinesAppended(appended))
            return Decoded(record: record, plainJSON: true)
        }
        return Decoded(record: try DomainRecord(event), plainJSON: false)
    }

    private static func eventError(_ event: RecordedEvent) -> (any Error) -> ProjectionEventError {
        { error in
            error as? ProjectionEventError
                ?? ProjectionEventError(position: event.position, eventType: event.type, reason: "cannot decode: \(RecordedEvent.reason(error))")
        }
    }
}

/// The decoded events of one page, shared by reference between the batches filtered from it.
private final class DecodedEvents: Sendable {
    let results: [Result<ProjectionBatch.Decoded, ProjectionEventError>]
    init(_ results: [Result<ProjectionBatch.Decoded, ProjectionEventError>]) { self.results = results }
}
