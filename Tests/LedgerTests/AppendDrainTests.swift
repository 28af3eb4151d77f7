@testable import Ledger
import Testing

/// Group commit's drain rules (`AppendDrain`), every state × every event: what the coordinator is
/// asked to do, and the state after.
struct AppendDrainTests {
    struct Item: AppendDrainItem, Equatable {
        let name: String
        var eventCount: Int { 1 }
    }

    typealias Drain = AppendDrain<Item>

    /// The states a drain can be in, each reached from a fresh one by real events.
    static let states: [String: [Drain.Event]] = [
        "idle": [],
        "writing own": [.submitted(Item(name: "a"))],
        "writing own+queued": [.submitted(Item(name: "a")), .submitted(Item(name: "b"))],
        "queued": [.submitted(Item(name: "a")), .submitted(Item(name: "b")), .ownWritten],
        "serving": [.submitted(Item(name: "a")), .submitted(Item(name: "b")), .ownWritten, .batchWanted],
        "serving+queued": [.submitted(Item(name: "a")), .submitted(Item(name: "b")), .ownWritten, .batchWanted, .submitted(Item(name: "c"))],
        "ended": [.submitted(Item(name: "a")), .ownWritten],
    ]

    static let events: [String: Drain.Event] = [
        "submitted": .submitted(Item(name: "x")), "ownWritten": .ownWritten, "batchWanted": .batchWanted,
        "deferred": .deferred([Item(name: "d")]),
    ]

    /// state, event → action; then the queue and whether a writer is at work. (`ownWritten` is
    /// only ever sent by the caller told `writeOwn`; its rows elsewhere show it changes nothing
    /// a running drain task would not also do.)
    static let table: [(state: String, event: String, action: String, after: String)] = [
        ("idle", "submitted", "write own", "q=[] writing"),
        ("idle", "ownWritten", "stop", "q=[] idle"),
        ("idle", "batchWanted", "stop", "q=[] idle"),
        ("idle", "deferred", "none", "q=[d] idle"),

        ("writing own", "submitted", "none", "q=[x] writing"),
        ("writing own", "ownWritten", "stop", "q=[] idle"),
        ("writing own", "batchWanted", "stop", "q=[] idle"),
        ("writing own", "deferred", "none", "q=[d] writing"),

        ("writing own+queued", "submitted", "none", "q=[b,x] writing"),
        ("writing own+queued", "ownWritten", "start drain", "q=[b] writing"),
        ("writing own+queued", "batchWanted", "write [b]", "q=[] writing"),
        ("writing own+queued", "deferred", "none", "q=[d,b] writing"),

        ("queued", "submitted", "none", "q=[b,x] writing"),
        ("queued", "ownWritten", "start drain", "q=[b] writing"),
        ("queued", "batchWanted", "write [b]", "q=[] writing"),
        ("queued", "deferred", "none", "q=[d,b] writing"),

        ("serving", "submitted", "none", "q=[x] writing"),
        ("serving", "ownWritten", "stop", "q=[] idle"),
        ("serving", "batchWanted", "stop", "q=[] idle"),
        ("serving", "deferred", "none", "q=[d] writing"),

        ("serving+queued", "submitted", "none", "q=[c,x] writing"),
        ("serving+queued", "ownWritten", "start drain", "q=[c] writing"),
        ("serving+queued", "batchWanted", "write [c]", "q=[] writing"),
        ("serving+queued", "deferred", "none", "q=[d,c] writing"),

        ("ended", "submitted", "write own", "q=[] writing"),
        ("ended", "ownWritten", "stop", "q=[] idle"),
        ("ended", "batchWanted", "stop", "q=[] idle"),
        ("ended", "deferred", "none", "q=[d] idle"),
    ]

    @Test func everyStateTimesEveryEventDoesWhatTheTableSays() throws {
        #expect(Set(Self.table.map { "\($0.state) \($0.event)" }).count == Self.states.count * Self.events.count, "a pair is missing or twice")
        for row in Self.table {
            var drain = try #require(Self.reach(row.state))
            let event = try #require(Self.events[row.event], "\(row.event)")
            let action = drain.handle(event)
            #expect(Self.describe(action) == row.action, "\(row.state) × \(row.event)")
            #expect(Self.describe(drain) == row.after, "\(row.state) × \(row.event)")
        }
    }

    /// A batch takes the front of the queue up to its limits, and always at least one request.
    @Test func aBatchTakesTheFrontOfTheQueueWithinItsLimits() {
        var drain = Drain(limits: AppendBatchLimits(maximumRequests: 2, maximumEvents: 10))
        for name in ["own", "a", "b", "c"] { _ = drain.handle(.submitted(Item(name: name))) }
        #expect(Self.describe(drain.handle(.ownWritten)) == "start drain")
        #expect(Self.describe(drain.handle(.batchWanted)) == "write [a,b]")
        #expect(Self.describe(drain.handle(.batchWanted)) == "write [c]")
    }

    static func reach(_ state: String) -> Drain? {
        guard let events = states[state] else { return nil }
        var drain = Drain(limits: AppendBatchLimits(maximumRequests: 100, maximumEvents: 1000))
        for event in events { _ = drain.handle(event) }
        return drain
    }

    static func names(_ items: [Item]) -> String { "[" + items.map(\.name).joined(separator: ",") + "]" }

    static func describe(_ drain: Drain) -> String {
        "q=\(names(drain.queue)) \(drain.draining ? "writing" : "idle")"
    }

    static func describe(_ action: Drain.Action) -> String {
        switch action {
        case .none: "none"
        case .writeOwn: "write own"
        case .startDrain: "start drain"
        case .write(let batch): "write \(names(batch))"
        case .stop: "stop"
        }
    }
}
