import Executors
import Testing

/// How a runner stops a step (`StopLadder`), every state × every turn: grace 10 s, escape bound
/// 5 s. A turn is "wanted" (a stop is asked, or the time is up) or not, at some time since the
/// stop began.
struct StopLadderTests {
    typealias State = String

    /// state, turn (wanted?, seconds since the stop began) → action; state after.
    static let table: [(state: State, wanted: Bool, since: Int, action: StopLadder.Action, after: State)] = [
        ("running", false, 0, .none, "running"),
        ("running", true, 0, .terminate, "terminating"),
        ("terminating", false, 5, .none, "terminating"), ("terminating", true, 5, .none, "terminating"),
        ("terminating", false, 11, .kill, "killing"), ("terminating", true, 11, .kill, "killing"),
        // Late turn: KILL before giving up, always.
        ("terminating", true, 20, .kill, "killing"),
        ("killing", true, 12, .none, "killing"), ("killing", false, 12, .none, "killing"),
        ("killing", true, 16, .giveUpWaiting, "gaveUp"), ("killing", false, 16, .giveUpWaiting, "gaveUp"),
        ("gaveUp", true, 30, .none, "gaveUp"), ("gaveUp", false, 30, .none, "gaveUp"),
    ]

    @Test func everyStateTimesEveryTurnDoesWhatTheTableSays() throws {
        for row in Self.table {
            let begun = ContinuousClock.now
            var ladder = try #require(Self.reach(row.state, begun: begun))
            #expect(ladder.tick(at: begun + .seconds(row.since), stopWanted: row.wanted) == row.action, "\(row.state) × \(row.wanted) at \(row.since) s")
            #expect(Self.name(ladder.state) == row.after, "\(row.state) × \(row.wanted) at \(row.since) s")
            #expect(ladder.stopAskedAt == (row.after == "running" ? nil : begun))
            #expect(ladder.signal == (["killing", "gaveUp"].contains(row.after) ? "KILL" : "TERM"))
        }
        let covered = Set(Self.table.map { "\($0.state) \($0.wanted)" })
        for state in ["running", "terminating", "killing", "gaveUp"] {
            for wanted in [true, false] { #expect(covered.contains("\(state) \(wanted)"), "\(state) × wanted \(wanted) untested") }
        }
    }

    static func reach(_ state: State, begun: ContinuousClock.Instant) -> StopLadder? {
        var ladder = StopLadder(grace: .seconds(10), escapeBound: .seconds(5))
        let path: [Int] = switch state {
        case "running": []
        case "terminating": [0]
        case "killing": [0, 11]
        case "gaveUp": [0, 11, 16]
        default: [-1]
        }
        for seconds in path {
            guard seconds >= 0 else { return nil }
            _ = ladder.tick(at: begun + .seconds(seconds), stopWanted: true)
        }
        return ladder
    }

    static func name(_ state: StopLadder.State) -> String {
        switch state {
        case .running: "running"
        case .terminating: "terminating"
        case .killing: "killing"
        case .gaveUp: "gaveUp"
        }
    }
}
