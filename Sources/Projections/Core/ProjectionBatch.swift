import Ledger

/// The events a projection applies in one transaction, in position order. Built from a page of
/// the log, it decodes an event when a projection asks; built with ``init(decoding:)``, every
/// event is decoded once up front, and the batches filtered from it for several projections
/// rebuilt in one pass share that page by index instead of each copying and decoding it again.
public struct ProjectionBatch: Sendable {
    /// One event in its domain form, and whether its JSON is in the plain shape the fast
    /// decoders read (log lines stored as they are rely on it).
    public struct Decoded: Sendable {
        public var record: DomainRecord
        public var plainJSON: Bool
    }

    private let page: Page
    /// Which of the page's events are in this batch (nil: all of them).
    private let slots: [Int]?
    /// Memory the projection may keep between batches of a rebuild (nil for live batches).
    public var scratch: ProjectionScratch?

    /// Events decoded on demand, each time a projection asks.
    public init(_ events: [RecordedEvent]) {
        page = Page(events: events, decoded: nil)
        slots = nil
    }

    /// Events decoded now, once, for every projection that will read this batch.
    public init(decoding events: [RecordedEvent]) {
        page = Page(events: events, decoded: events.map { event in Result { try Self.decode(event) }.mapError(Self.eventError(event)) })
        slots = nil
    }

    private init(page: Page, slots: [Int]?) {
        self.page = page
        self.slots = slots
    }

    /// Several batches (of consecutive pages) as one, keeping what they have decoded.
    public init(joining batches: [ProjectionBatch]) {
        if batches.count == 1 {
            self = batches[0]
            return
        }
        let events = batches.flatMap { batch in (0..<batch.count).map(batch.event) }
        if batches.allSatisfy({ $0.page.decoded != nil }) {
            page = Page(events: events, decoded: batches.flatMap { batch in (0..<batch.count).map { batch.page.decoded![batch.slot($0)] } })
        } else {
            page = Page(events: events, decoded: nil)
        }
        slots = nil
    }

    public var count: Int { slots?.count ?? page.events.count }
    public var isEmpty: Bool { count == 0 }

    private func slot(_ index: Int) -> Int { slots?[index] ?? index }

    /// The event at `index`.
    public func event(_ index: Int) -> RecordedEvent { page.events[slot(index)] }

    /// All the batch's events, copied out.
    public var events: [RecordedEvent] { (0..<count).map(event) }

    /// The domain form of the event at `index`; a bad event throws ``ProjectionEventError``.
    public func decoded(_ index: Int) throws -> Decoded {
        if let decoded = page.decoded { return try decoded[slot(index)].get() }
        let event = event(index)
        do { return try Self.decode(event) } catch { throw Self.eventError(event)(error) }
    }

    public func record(_ index: Int) throws -> DomainRecord { try decoded(index).record }

    /// Only the events of `types`, sharing the page.
    public func filtered(to types: Set<String>) -> ProjectionBatch {
        let wanted = page.typeNames.map(types.contains)
        let kept = (0..<count).lazy.map(slot).filter { wanted[page.typeIDs[$0]] }
        let slots = Array(kept)
        return slots.count == count ? self : ProjectionBatch(page: page, slots: slots)
    }

    /// The same events in a page of their own, so that a batch kept for later does not keep
    /// the whole page it was filtered from alive.
    public func compacted() -> ProjectionBatch {
        guard slots != nil else { return self }
        let decoded = page.decoded.map { all in (0..<count).map { all[slot($0)] } }
        var copy = ProjectionBatch(page: Page(events: events, decoded: decoded), slots: nil)
        copy.scratch = scratch
        return copy
    }

    /// Only the event at `index`, for finding the one a failed batch stumbled on.
    func single(_ index: Int) -> ProjectionBatch {
        var one = ProjectionBatch(page: page, slots: [slot(index)])
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

/// One page of events, decoded or not, shared by reference by the batches made from it. Each
/// event's type is numbered once, so filtering for several projections hashes no strings.
private final class Page: Sendable {
    let events: [RecordedEvent]
    let decoded: [Result<ProjectionBatch.Decoded, ProjectionEventError>]?
    /// The distinct event types of the page, and each event's index into them.
    let typeNames: [String]
    let typeIDs: [Int]

    init(events: [RecordedEvent], decoded: [Result<ProjectionBatch.Decoded, ProjectionEventError>]?) {
        self.events = events
        self.decoded = decoded
        var numbers: [String: Int] = [:], names: [String] = []
        typeIDs = events.map { event in
            if let number = numbers[event.type] { return number }
            numbers[event.type] = names.count
            names.append(event.type)
            return names.count - 1
        }
        typeNames = names
    }
}
