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
        "queued": [.submitted(Item(name: "a"))],
        "serving": [.submitted(Item(name: "a")), .batchWanted],
        "serving+queued": [.submitted(Item(name: "a")), .batchWanted, .submitted(Item(name: "b"))],
        "ended": [.submitted(Item(name: "a")), .batchWanted, .batchWanted],
    ]

    static let events: [String: Drain.Event] = [
        "submitted": .submitted(Item(name: "x")), "batchWanted": .batchWanted, "deferred": .deferred([Item(name: "d")]),
    ]

    /// state, event → action; then the queue and whether a drain task serves it.
    static let table: [(state: String, event: String, action: String, after: String)] = [
        ("idle", "submitted", "start", "q=[x] draining"),
        ("idle", "batchWanted", "stop", "q=[] idle"),
        ("idle", "deferred", "none", "q=[d] idle"),

        ("queued", "submitted", "none", "q=[a,x] draining"),
        ("queued", "batchWanted", "write [a]", "q=[] draining"),
        ("queued", "deferred", "none", "q=[d,a] draining"),

        ("serving", "submitted", "none", "q=[x] draining"),
        ("serving", "batchWanted", "stop", "q=[] idle"),
        ("serving", "deferred", "none", "q=[d] draining"),

        ("serving+queued", "submitted", "none", "q=[b,x] draining"),
        ("serving+queued", "batchWanted", "write [b]", "q=[] draining"),
        ("serving+queued", "deferred", "none", "q=[d,b] draining"),

        ("ended", "submitted", "start", "q=[x] draining"),
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
        for name in ["a", "b", "c"] { _ = drain.handle(.submitted(Item(name: name))) }
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
        "q=\(names(drain.queue)) \(drain.draining ? "draining" : "idle")"
    }

    static func describe(_ action: Drain.Action) -> String {
        switch action {
        case .none: "none"
        case .startDrain: "start"
        case .write(let batch): "write \(names(batch))"
        case .stop: "stop"
        }
    }
}
