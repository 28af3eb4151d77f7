/// How a runner stops a step, as a value it asks on every turn of its read loop: TERM to the
/// step's process group once a stop is wanted (asked, or the step's time is up, and the group is
/// known), KILL once the grace period has passed, and — if the step's output is still held after
/// the grace period and the escape bound — stop waiting: what holds it left the group.
/// (Over SSH the TERM-then-KILL runs host-side in one script; that runner ignores ``Action/kill``.)
public struct StopLadder: Sendable {
    public enum State: Equatable, Sendable {
        case running
        case terminating(since: ContinuousClock.Instant)
        case killing(since: ContinuousClock.Instant)
        case gaveUp(since: ContinuousClock.Instant)
    }

    public enum Action: Equatable, Sendable {
        case none
        /// Send TERM to the group.
        case terminate
        /// Send KILL to the group.
        case kill
        /// Stop waiting for the output: something outside the group holds it.
        case giveUpWaiting
    }

    public let grace: Duration
    public let escapeBound: Duration
    public private(set) var state = State.running

    public init(grace: Duration, escapeBound: Duration) {
        self.grace = grace
        self.escapeBound = escapeBound
    }

    /// The ladder of `stop`: its grace period and escape bound.
    public init(_ stop: StopSwitch) {
        self.init(grace: stop.grace, escapeBound: stop.escapeBound)
    }

    /// The last signal sent: "KILL" once the grace period ran out, else "TERM".
    public var signal: String {
        switch state {
        case .killing, .gaveUp: "KILL"
        case .running, .terminating: "TERM"
        }
    }

    /// When the stop began (nil while running).
    public var stopAskedAt: ContinuousClock.Instant? {
        switch state {
        case .running: nil
        case .terminating(let since), .killing(let since), .gaveUp(let since): since
        }
    }

    /// One turn of the read loop at `now`; `stopWanted` when a stop is asked or the step's time
    /// is up and the runner can signal the group.
    public mutating func tick(at now: ContinuousClock.Instant, stopWanted: Bool) -> Action {
        switch state {
        case .running:
            guard stopWanted else { return .none }
            state = .terminating(since: now)
            return .terminate
        case .terminating(let since):
            // KILL always comes before giving up, even when a turn came late.
            guard since.duration(to: now) > grace else { return .none }
            state = .killing(since: since)
            return .kill
        case .killing(let since):
            guard since.duration(to: now) > grace + escapeBound else { return .none }
            state = .gaveUp(since: since)
            return .giveUpWaiting
        case .gaveUp:
            return .none
        }
    }
}
