import Foundation
import Ledger
import LedgerDomain

/// The events a projection applies in one transaction, in position order. Built from a page of
/// the log, it decodes an event when a projection asks; built with ``init(decoding:)``, every
/// event is decoded once up front, and the batches filtered from it for several projections
/// rebuilt in one pass share that page by index instead of each copying and decoding it again.
public struct ProjectionBatch: Sendable {
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
        page = Page(events: events, decoded: Decoded(events))
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
            page = Page(events: events, decoded: Decoded(joining: batches.map { batch in (batch.page.decoded!, (0..<batch.count).map(batch.slot)) }))
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

    /// Hands the event at `index` to `body` where it is, without copying it out.
    public func withEvent<Result>(_ index: Int, _ body: (RecordedEvent) throws -> Result) rethrows -> Result {
        try body(page.events[slot(index)])
    }

    /// The stream of the event at `index` (without decoding it or copying the rest out).
    public func streamID(_ index: Int) -> StreamID { page.events[slot(index)].streamID }

    /// The JSON payload of the event at `index` (without copying the rest of the event out).
    public func eventData(_ index: Int) -> Data { page.events[slot(index)].data }

    /// All the batch's events, copied out.
    public var events: [RecordedEvent] { (0..<count).map(event) }

    /// The domain form of the event at `index`; a bad event throws ``ProjectionEventError``.
    public func record(_ index: Int) throws -> DomainRecord {
        let slot = slot(index)
        if let decoded = page.decoded { return try decoded.record(slot) }
        let event = page.events[slot]
        do { return try Decoded.decode(event).record } catch { throw Decoded.eventError(event)(error) }
    }

    /// Hands the domain form of the event at `index` to `body` without copying it out of the
    /// page (several projections read each record at once, and a copy retains every string in
    /// it); a bad event throws ``ProjectionEventError``.
    public func withRecord<Result>(_ index: Int, _ body: (DomainRecord) throws -> Result) throws -> Result {
        let slot = slot(index)
        if let decoded = page.decoded { return try decoded.withRecord(slot, body) }
        let event = page.events[slot]
        let record: DomainRecord
        do { record = try Decoded.decode(event).record } catch { throw Decoded.eventError(event)(error) }
        return try body(record)
    }

    /// Whether the JSON of the event at `index` is in the plain shape the fast decoders read
    /// (log lines stored as they are rely on it).
    public func isPlainJSON(_ index: Int) -> Bool {
        let slot = slot(index)
        if let decoded = page.decoded { return decoded.plainJSON[slot] }
        return (try? Decoded.decode(page.events[slot]).plainJSON) ?? false
    }

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
        guard let slots else { return self }
        var copy = ProjectionBatch(page: Page(events: events, decoded: page.decoded.map { Decoded(joining: [($0, slots)]) }), slots: nil)
        copy.scratch = scratch
        return copy
    }

    /// Only the event at `index`, for finding the one a failed batch stumbled on.
    func single(_ index: Int) -> ProjectionBatch {
        var one = ProjectionBatch(page: page, slots: [slot(index)])
        one.scratch = scratch
        return one
    }
}

/// A page's events in their domain form, decoded once. Kept as plain arrays (failures apart):
/// reading a record out of them is one copy, and several projections read each record.
private struct Decoded: Sendable {
    /// One record per event; where an event failed to decode, a stand-in that is never handed
    /// out (its failure is in ``failures``, which is checked first).
    let records: [DomainRecord]
    let plainJSON: [Bool]
    let failures: [Int: ProjectionEventError]

    init(_ events: [RecordedEvent]) {
        var records: [DomainRecord] = [], plainJSON: [Bool] = [], failures: [Int: ProjectionEventError] = [:]
        records.reserveCapacity(events.count)
        plainJSON.reserveCapacity(events.count)
        for (slot, event) in events.enumerated() {
            do {
                let (record, plain) = try Self.decode(event)
                records.append(record)
                plainJSON.append(plain)
            } catch {
                records.append(Self.standIn(for: event))
                plainJSON.append(false)
                failures[slot] = Self.eventError(event)(error)
            }
        }
        self.records = records
        self.plainJSON = plainJSON
        self.failures = failures
    }

    /// The given slots of several decoded pages, in order.
    init(joining parts: [(Decoded, [Int])]) {
        var records: [DomainRecord] = [], plainJSON: [Bool] = [], failures: [Int: ProjectionEventError] = [:]
        for (decoded, slots) in parts {
            for slot in slots {
                if let failure = decoded.failures[slot] { failures[records.count] = failure }
                records.append(decoded.records[slot])
                plainJSON.append(decoded.plainJSON[slot])
            }
        }
        self.records = records
        self.plainJSON = plainJSON
        self.failures = failures
    }

    func record(_ slot: Int) throws(ProjectionEventError) -> DomainRecord {
        if !failures.isEmpty, let failure = failures[slot] { throw failure }
        return records[slot]
    }

    func withRecord<Result>(_ slot: Int, _ body: (DomainRecord) throws -> Result) throws -> Result {
        if !failures.isEmpty, let failure = failures[slot] { throw failure }
        return try body(records[slot])
    }

    /// What stands in the records for an event that did not decode.
    private static func standIn(for event: RecordedEvent) -> DomainRecord {
        DomainRecord(
            position: event.position, streamID: event.streamID, streamVersion: event.streamVersion,
            recordedAtMicroseconds: event.recordedAtMicroseconds, event: .deploymentQueued(DeploymentQueued(deploymentID: "")))
    }

    static func decode(_ event: RecordedEvent) throws -> (record: DomainRecord, plainJSON: Bool) {
        let (domainEvent, plainJSON) = try DomainEvent.decode(type: event.type, schemaVersion: event.schemaVersion, data: event.data)
        let record = DomainRecord(
            position: event.position, streamID: event.streamID, streamVersion: event.streamVersion,
            recordedAtMicroseconds: event.recordedAtMicroseconds, event: domainEvent)
        return (record, plainJSON)
    }

    static func eventError(_ event: RecordedEvent) -> (any Error) -> ProjectionEventError {
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
    let decoded: Decoded?
    /// The distinct event types of the page, and each event's index into them.
    let typeNames: [String]
    let typeIDs: [Int]

    init(events: [RecordedEvent], decoded: Decoded?) {
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
