/// The part one projection plays in a process's ``ProjectionGroupRunner``, as a value the group
/// asks at every turn: waiting (for its next try at the runner lock — standing by while another
/// process is active, or resting after a bad event or a hand-over) or active (applying batches,
/// possibly past a failure it recorded). The group does what each ``Action`` says — take the
/// lock, activate, release, record or clear a failure — and nothing else decides it.
struct ProjectionRole: Equatable {
    enum State: Equatable {
        /// Not active; tries for the lock from `until` on. `standingBy`: the last try found
        /// another runner active (said once, not at every try).
        case waiting(until: ContinuousClock.Instant, standingBy: Bool)
        /// The active runner; `failed` while the failure it found is still recorded.
        case active(failed: Bool)
    }

    enum Event {
        /// A turn of the group at this instant.
        case turn(at: ContinuousClock.Instant)
        /// The runner lock was taken; the registry says whether a failure is recorded.
        case lockTaken(failed: Bool)
        /// Another process holds the runner lock.
        case lockRefused(at: ContinuousClock.Instant)
        /// A rebuild asked the active runner to hand over.
        case handoverRequested(at: ContinuousClock.Instant)
        /// A batch stopped at a bad event.
        case stoppedByBadEvent(at: ContinuousClock.Instant)
        /// A batch applied events.
        case applied
    }

    enum Action: Equatable {
        case none
        /// Try the runner lock.
        case tryLock
        /// Load the checkpoint and announce this process as the active runner.
        case becomeActive
        /// Say once that another runner is active.
        case announceStandingBy
        /// Release the lock for the rebuild.
        case handOver
        /// Record the bad event and release the lock (tried again later).
        case recordFailureAndRelease
        /// The events past the failure applied: clear it.
        case clearFailure
    }

    let standbyInterval: Duration
    let failureRetryInterval: Duration
    private(set) var state: State

    init(standbyInterval: Duration, failureRetryInterval: Duration, startingAt start: ContinuousClock.Instant) {
        self.standbyInterval = standbyInterval
        self.failureRetryInterval = failureRetryInterval
        state = .waiting(until: start, standingBy: false)
    }

    var isActive: Bool { if case .active = state { true } else { false } }

    /// When a waiting role tries again (nil while active).
    var nextTry: ContinuousClock.Instant? { if case .waiting(let until, _) = state { until } else { nil } }

    mutating func handle(_ event: Event) -> Action {
        switch (state, event) {
        case (.waiting(let until, _), .turn(let now)):
            return now >= until ? .tryLock : .none
        case (.waiting, .lockTaken(let failed)):
            state = .active(failed: failed)
            return .becomeActive
        case (.waiting(_, let standingBy), .lockRefused(let now)):
            state = .waiting(until: now + standbyInterval, standingBy: true)
            return standingBy ? .none : .announceStandingBy
        case (.active, .handoverRequested(let now)):
            state = .waiting(until: now + standbyInterval, standingBy: false)
            return .handOver
        case (.active, .stoppedByBadEvent(let now)):
            state = .waiting(until: now + failureRetryInterval, standingBy: false)
            return .recordFailureAndRelease
        case (.active(failed: true), .applied):
            state = .active(failed: false)
            return .clearFailure
        default:
            // Anything else (a turn while active, events of an active role while waiting) changes nothing.
            return .none
        }
    }
}
