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
        "serving": [.submitted(Item(name: "a")), .batchWanted(drain: 1), .batchDone(drain: 1)],
        "holding": [.submitted(Item(name: "a")), .batchWanted(drain: 1)],
        "holding+queued": [.submitted(Item(name: "a")), .batchWanted(drain: 1), .submitted(Item(name: "b"))],
        "replaced": [.submitted(Item(name: "a")), .batchWanted(drain: 1), .connectionClosed(drain: 1)],
    ]

    /// The events, for a drain whose current task is `current` (a stale one is `current - 1`).
    static func events(current: Int) -> [String: Drain.Event] {
        [
            "submitted": .submitted(Item(name: "x")),
            "batchWanted(current)": .batchWanted(drain: current), "batchWanted(stale)": .batchWanted(drain: current - 1),
            "batchDone(current)": .batchDone(drain: current), "batchDone(stale)": .batchDone(drain: current - 1),
            "connectionClosed(current)": .connectionClosed(drain: current), "connectionClosed(stale)": .connectionClosed(drain: current - 1),
            "queueEmptied(current)": .queueEmptied(drain: current), "queueEmptied(stale)": .queueEmptied(drain: current - 1),
            "deferred": .deferred([Item(name: "d")]),
        ]
    }

    /// state, event → action; then queue, draining, current task, held batch.
    static let table: [(state: String, event: String, action: String, after: String)] = [
        ("idle", "submitted", "start 1", "q=[x] draining c=1 h=[]"),
        ("idle", "batchWanted(current)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "batchWanted(stale)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "batchDone(current)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "batchDone(stale)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "connectionClosed(current)", "none", "q=[] idle c=0 h=[]"),
        ("idle", "connectionClosed(stale)", "none", "q=[] idle c=0 h=[]"),
        ("idle", "queueEmptied(current)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "queueEmptied(stale)", "stop", "q=[] idle c=0 h=[]"),
        ("idle", "deferred", "none", "q=[d] idle c=0 h=[]"),

        ("queued", "submitted", "none", "q=[a,x] draining c=1 h=[]"),
        ("queued", "batchWanted(current)", "write [a]", "q=[] draining c=1 h=[a]"),
        ("queued", "batchWanted(stale)", "stop", "q=[a] draining c=1 h=[]"),
        ("queued", "batchDone(current)", "answer", "q=[a] draining c=1 h=[]"),
        ("queued", "batchDone(stale)", "stop", "q=[a] draining c=1 h=[]"),
        ("queued", "connectionClosed(current)", "take over 2 redoing []", "q=[a] draining c=2 h=[]"),
        ("queued", "connectionClosed(stale)", "none", "q=[a] draining c=1 h=[]"),
        ("queued", "queueEmptied(current)", "keep draining", "q=[a] draining c=1 h=[]"),
        ("queued", "queueEmptied(stale)", "stop", "q=[a] draining c=1 h=[]"),
        ("queued", "deferred", "none", "q=[d,a] draining c=1 h=[]"),

        ("serving", "submitted", "none", "q=[x] draining c=1 h=[]"),
        ("serving", "batchWanted(current)", "queue is empty", "q=[] draining c=1 h=[]"),
        ("serving", "batchWanted(stale)", "stop", "q=[] draining c=1 h=[]"),
        ("serving", "batchDone(current)", "answer", "q=[] draining c=1 h=[]"),
        ("serving", "batchDone(stale)", "stop", "q=[] draining c=1 h=[]"),
        ("serving", "connectionClosed(current)", "take over 2 redoing []", "q=[] draining c=2 h=[]"),
        ("serving", "connectionClosed(stale)", "none", "q=[] draining c=1 h=[]"),
        ("serving", "queueEmptied(current)", "stop", "q=[] idle c=1 h=[]"),
        ("serving", "queueEmptied(stale)", "stop", "q=[] draining c=1 h=[]"),
        ("serving", "deferred", "none", "q=[d] draining c=1 h=[]"),

        ("holding", "submitted", "none", "q=[x] draining c=1 h=[a]"),
        ("holding", "batchWanted(current)", "queue is empty", "q=[] draining c=1 h=[a]"),
        ("holding", "batchWanted(stale)", "stop", "q=[] draining c=1 h=[a]"),
        ("holding", "batchDone(current)", "answer", "q=[] draining c=1 h=[]"),
        ("holding", "batchDone(stale)", "stop", "q=[] draining c=1 h=[a]"),
        ("holding", "connectionClosed(current)", "take over 2 redoing [a]", "q=[] draining c=2 h=[]"),
        ("holding", "connectionClosed(stale)", "none", "q=[] draining c=1 h=[a]"),
        ("holding", "queueEmptied(current)", "stop", "q=[] idle c=1 h=[a]"),
        ("holding", "queueEmptied(stale)", "stop", "q=[] draining c=1 h=[a]"),
        ("holding", "deferred", "none", "q=[d] draining c=1 h=[a]"),

        ("holding+queued", "submitted", "none", "q=[b,x] draining c=1 h=[a]"),
        ("holding+queued", "batchWanted(current)", "write [b]", "q=[] draining c=1 h=[b]"),
        ("holding+queued", "batchWanted(stale)", "stop", "q=[b] draining c=1 h=[a]"),
        ("holding+queued", "batchDone(current)", "answer", "q=[b] draining c=1 h=[]"),
        ("holding+queued", "batchDone(stale)", "stop", "q=[b] draining c=1 h=[a]"),
        ("holding+queued", "connectionClosed(current)", "take over 2 redoing [a]", "q=[b] draining c=2 h=[]"),
        ("holding+queued", "connectionClosed(stale)", "none", "q=[b] draining c=1 h=[a]"),
        ("holding+queued", "queueEmptied(current)", "keep draining", "q=[b] draining c=1 h=[a]"),
        ("holding+queued", "queueEmptied(stale)", "stop", "q=[b] draining c=1 h=[a]"),
        ("holding+queued", "deferred", "none", "q=[d,b] draining c=1 h=[a]"),

        ("replaced", "submitted", "none", "q=[x] draining c=2 h=[]"),
        ("replaced", "batchWanted(current)", "queue is empty", "q=[] draining c=2 h=[]"),
        ("replaced", "batchWanted(stale)", "stop", "q=[] draining c=2 h=[]"),
        ("replaced", "batchDone(current)", "answer", "q=[] draining c=2 h=[]"),
        ("replaced", "batchDone(stale)", "stop", "q=[] draining c=2 h=[]"),
        ("replaced", "connectionClosed(current)", "take over 3 redoing []", "q=[] draining c=3 h=[]"),
        ("replaced", "connectionClosed(stale)", "none", "q=[] draining c=2 h=[]"),
        ("replaced", "queueEmptied(current)", "stop", "q=[] idle c=2 h=[]"),
        ("replaced", "queueEmptied(stale)", "stop", "q=[] draining c=2 h=[]"),
        ("replaced", "deferred", "none", "q=[d] draining c=2 h=[]"),
    ]

    @Test func everyStateTimesEveryEventDoesWhatTheTableSays() throws {
        #expect(Set(Self.table.map { "\($0.state) \($0.event)" }).count == Self.states.count * Self.events(current: 1).count, "a pair is missing or twice")
        for row in Self.table {
            var drain = try #require(Self.reach(row.state))
            let event = try #require(Self.events(current: drain.current).first { $0.key == row.event }?.value, "\(row.event)")
            let action = drain.handle(event)
            #expect(Self.describe(action) == row.action, "\(row.state) × \(row.event)")
            #expect(Self.describe(drain) == row.after, "\(row.state) × \(row.event)")
        }
    }

    /// A batch takes the front of the queue up to its limits, and always at least one request.
    @Test func aBatchTakesTheFrontOfTheQueueWithinItsLimits() {
        var drain = Drain(limits: AppendBatchLimits(maximumRequests: 2, maximumEvents: 10))
        for name in ["a", "b", "c"] { _ = drain.handle(.submitted(Item(name: name))) }
        #expect(Self.describe(drain.handle(.batchWanted(drain: 1))) == "write [a,b]")
        _ = drain.handle(.batchDone(drain: 1))
        #expect(Self.describe(drain.handle(.batchWanted(drain: 1))) == "write [c]")
    }

    static func reach(_ state: String) -> Drain? {
        guard let events = states[state] else { return nil }
        var drain = Drain(limits: AppendBatchLimits(maximumRequests: 100, maximumEvents: 1000))
        for event in events { _ = drain.handle(event) }
        return drain
    }

    static func names(_ items: [Item]) -> String { "[" + items.map(\.name).joined(separator: ",") + "]" }

    static func describe(_ drain: Drain) -> String {
        "q=\(names(drain.queue)) \(drain.draining ? "draining" : "idle") c=\(drain.current) h=\(names(drain.inHand))"
    }

    static func describe(_ action: Drain.Action) -> String {
        switch action {
        case .none: "none"
        case .startDrain(let number): "start \(number)"
        case .write(let batch): "write \(names(batch))"
        case .queueIsEmpty: "queue is empty"
        case .stop: "stop"
        case .answer: "answer"
        case .keepDraining: "keep draining"
        case .takeOver(let drain, let redo): "take over \(drain) redoing \(names(redo))"
        }
    }
}
