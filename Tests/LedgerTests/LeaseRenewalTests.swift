@testable import Executors
import Testing

/// A worker's lease renewal (`LeaseRenewal`), every state × every event: lease 30 s, outage
/// tolerance 120 s; states by how long ago the lease was last renewed.
struct LeaseRenewalTests {
    static let table: [(sinceRenewed: Duration, event: String, action: LeaseRenewal.Action)] = [
        (.seconds(5), "renewed", .keepRenewing), (.seconds(5), "refused", .leaseLost),
        (.seconds(5), "databaseAway", .keepRenewing), (.seconds(5), "failed", .keepRenewing),
        (.seconds(60), "renewed", .keepRenewing), (.seconds(60), "refused", .leaseLost),
        (.seconds(60), "databaseAway", .keepRenewing), (.seconds(60), "failed", .leaseLost),
        (.seconds(200), "renewed", .keepRenewing), (.seconds(200), "refused", .leaseLost),
        (.seconds(200), "databaseAway", .leaseLost), (.seconds(200), "failed", .leaseLost),
    ]

    @Test func everyStateTimesEveryEventDoesWhatTheTableSays() {
        for row in Self.table {
            let claimed = ContinuousClock.now
            let now = claimed + row.sinceRenewed
            var renewal = LeaseRenewal(leaseDuration: .seconds(30), outageTolerance: .seconds(120), claimedAt: claimed)
            let event: LeaseRenewal.Event = switch row.event {
            case "renewed": .renewed(at: now)
            case "refused": .refused
            case "databaseAway": .databaseAway(at: now)
            default: .failed(at: now)
            }
            #expect(renewal.handle(event) == row.action, "\(row.sinceRenewed) since renewed × \(row.event)")
            if row.event == "renewed" { #expect(renewal.lastRenewed == now) } else { #expect(renewal.lastRenewed == claimed) }
        }
    }

    /// A renewal starts the tolerance over: failures after it are measured from it.
    @Test func aRenewalStartsTheToleranceOver() {
        let claimed = ContinuousClock.now
        var renewal = LeaseRenewal(leaseDuration: .seconds(30), outageTolerance: .seconds(120), claimedAt: claimed)
        #expect(renewal.handle(.renewed(at: claimed + .seconds(25))) == .keepRenewing)
        #expect(renewal.handle(.failed(at: claimed + .seconds(50))) == .keepRenewing)
        #expect(renewal.handle(.failed(at: claimed + .seconds(56))) == .leaseLost)
    }
}
