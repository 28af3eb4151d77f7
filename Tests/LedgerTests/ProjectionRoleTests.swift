@testable import Projections
import Testing

/// The part one projection plays in a group (`ProjectionRole`), every state × every event:
/// standby interval 5 s, failure retry 30 s.
struct ProjectionRoleTests {
    static let start = ContinuousClock.now

    static let states: [String: ProjectionRole.State] = [
        "due": .waiting(until: start, standingBy: false),
        "resting": .waiting(until: start + .seconds(60), standingBy: false),
        "standing by": .waiting(until: start, standingBy: true),
        "active": .active(failed: false),
        "active, failure recorded": .active(failed: true),
    ]

    static let events: [String: ProjectionRole.Event] = [
        "turn": .turn(at: start + .seconds(1)), "lock taken": .lockTaken(failed: false), "lock taken, failed": .lockTaken(failed: true),
        "lock refused": .lockRefused(at: start + .seconds(1)), "hand-over asked": .handoverRequested(at: start + .seconds(1)),
        "bad event": .stoppedByBadEvent(at: start + .seconds(1)), "applied": .applied,
    ]

    static let standby = ProjectionRole.State.waiting(until: start + .seconds(6), standingBy: false)

    /// state × event → action, state after.
    static let table: [(state: String, event: String, action: ProjectionRole.Action, after: ProjectionRole.State)] = [
        ("due", "turn", .tryLock, states["due"]!),
        ("due", "lock taken", .becomeActive, .active(failed: false)),
        ("due", "lock taken, failed", .becomeActive, .active(failed: true)),
        ("due", "lock refused", .announceStandingBy, .waiting(until: start + .seconds(6), standingBy: true)),
        ("due", "hand-over asked", .none, states["due"]!),
        ("due", "bad event", .none, states["due"]!),
        ("due", "applied", .none, states["due"]!),

        ("resting", "turn", .none, states["resting"]!),
        ("resting", "lock taken", .becomeActive, .active(failed: false)),
        ("resting", "lock taken, failed", .becomeActive, .active(failed: true)),
        ("resting", "lock refused", .announceStandingBy, .waiting(until: start + .seconds(6), standingBy: true)),
        ("resting", "hand-over asked", .none, states["resting"]!),
        ("resting", "bad event", .none, states["resting"]!),
        ("resting", "applied", .none, states["resting"]!),

        ("standing by", "turn", .tryLock, states["standing by"]!),
        ("standing by", "lock taken", .becomeActive, .active(failed: false)),
        ("standing by", "lock taken, failed", .becomeActive, .active(failed: true)),
        // Said once: a later refusal is quiet.
        ("standing by", "lock refused", .none, .waiting(until: start + .seconds(6), standingBy: true)),
        ("standing by", "hand-over asked", .none, states["standing by"]!),
        ("standing by", "bad event", .none, states["standing by"]!),
        ("standing by", "applied", .none, states["standing by"]!),

        ("active", "turn", .none, .active(failed: false)),
        ("active", "lock taken", .none, .active(failed: false)),
        ("active", "lock taken, failed", .none, .active(failed: false)),
        ("active", "lock refused", .none, .active(failed: false)),
        ("active", "hand-over asked", .handOver, standby),
        ("active", "bad event", .recordFailureAndRelease, .waiting(until: start + .seconds(31), standingBy: false)),
        ("active", "applied", .none, .active(failed: false)),

        ("active, failure recorded", "turn", .none, .active(failed: true)),
        ("active, failure recorded", "lock taken", .none, .active(failed: true)),
        ("active, failure recorded", "lock taken, failed", .none, .active(failed: true)),
        ("active, failure recorded", "lock refused", .none, .active(failed: true)),
        ("active, failure recorded", "hand-over asked", .handOver, standby),
        ("active, failure recorded", "bad event", .recordFailureAndRelease, .waiting(until: start + .seconds(31), standingBy: false)),
        ("active, failure recorded", "applied", .clearFailure, .active(failed: false)),
    ]

    @Test func everyStateTimesEveryEventDoesWhatTheTableSays() throws {
        #expect(Set(Self.table.map { "\($0.state) × \($0.event)" }).count == Self.states.count * Self.events.count, "a pair is missing or twice")
        for row in Self.table {
            var role = ProjectionRole(standbyInterval: .seconds(5), failureRetryInterval: .seconds(30), startingAt: Self.start)
            role.force(try #require(Self.states[row.state]))
            #expect(role.handle(try #require(Self.events[row.event])) == row.action, "\(row.state) × \(row.event)")
            #expect(role.state == row.after, "\(row.state) × \(row.event)")
            #expect(role.isActive == { if case .active = row.after { true } else { false } }())
        }
    }
}

extension ProjectionRole {
    /// Puts the role in `state` directly (tests only).
    mutating func force(_ state: State) { self = Self.forced(state, standby: standbyInterval, retry: failureRetryInterval) }

    private static func forced(_ state: State, standby: Duration, retry: Duration) -> ProjectionRole {
        var role = ProjectionRole(standbyInterval: standby, failureRetryInterval: retry, startingAt: ProjectionRoleTests.start)
        switch state {
        case .waiting(let until, let standingBy):
            if standingBy { _ = role.handle(.lockRefused(at: until - standby)) } else {
                _ = role.handle(.lockTaken(failed: false))
                _ = role.handle(.handoverRequested(at: until - standby))
            }
        case .active(let failed):
            _ = role.handle(.lockTaken(failed: failed))
        }
        return role
    }
}
