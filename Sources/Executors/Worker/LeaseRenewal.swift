/// When a worker still holds a deployment's lease, as a value its renewal loop asks after every
/// attempt (``DeploymentJob``): a renewal the database refuses means someone else took the
/// deployment over; while the database is away nobody can take it, so the worker keeps going for
/// up to `outageTolerance`; any other failure is tolerated for as long as the lease would last.
struct LeaseRenewal {
    enum Event {
        /// The lease was renewed at this instant.
        case renewed(at: ContinuousClock.Instant)
        /// The database refused the renewal: the lease is another's now.
        case refused
        /// The database could not be reached (at this instant).
        case databaseAway(at: ContinuousClock.Instant)
        /// The renewal failed otherwise (at this instant).
        case failed(at: ContinuousClock.Instant)
    }

    enum Action: Equatable {
        /// Try again after the renewal interval.
        case keepRenewing
        /// Stop every write: the lease is lost.
        case leaseLost
    }

    let leaseDuration: Duration
    let outageTolerance: Duration
    private(set) var lastRenewed: ContinuousClock.Instant

    init(leaseDuration: Duration, outageTolerance: Duration, claimedAt: ContinuousClock.Instant) {
        self.leaseDuration = leaseDuration
        self.outageTolerance = outageTolerance
        lastRenewed = claimedAt
    }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case .renewed(let instant):
            lastRenewed = instant
            return .keepRenewing
        case .refused:
            return .leaseLost
        case .databaseAway(let instant):
            return lastRenewed.duration(to: instant) < outageTolerance ? .keepRenewing : .leaseLost
        case .failed(let instant):
            return lastRenewed.duration(to: instant) < leaseDuration ? .keepRenewing : .leaseLost
        }
    }
}
