import Foundation
import HTTPTypes
import Ledger
import LedgerDomain

/// `POST /environments/{id}/schedules`: what to deploy and when — once (`at`) or on the seed's
/// `schedule` (`cron`, `timezone`, `enabled`) — and what an occurrence does in a freeze.
struct ScheduleRequest: Decodable, Sendable {
    struct Recurrence: Decodable, Sendable {
        var cron: String
        var timezone: String?
        var enabled: Bool?
    }

    var id: String
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var at: String?
    var schedule: Recurrence?
    var inFreeze: DeploymentSchedule.FreezePolicy?
    var enabled: Bool?

    var git: GitReference { GitReference(branch: gitBranch, commit: gitCommit, tag: gitTag) }

    /// `at` as microseconds, or a 422 naming it.
    func instant() throws -> Int64? {
        guard let at else { return nil }
        guard let parsed = Timestamps.parse(at) else { throw APIError(.unprocessableContent, "invalid", "at must be an RFC 3339 instant") }
        return parsed
    }
}

/// A schedule as the API shows it, with its next occurrence and what became of the last.
struct ScheduleBody: Encodable, Sendable {
    var id: String
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var at: String?
    var cron: String?
    var timezone: String?
    var inFreeze: String
    var enabled: Bool
    var requestedBy: String
    var requester: String?
    var lastOccurrence: String?
    var waitingOccurrence: String?
    var nextOccurrence: String?

    init(_ schedule: DeploymentSchedule, nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)) {
        id = schedule.scheduleID
        gitBranch = schedule.git.branch
        gitCommit = schedule.git.commit
        gitTag = schedule.git.tag
        at = schedule.atMicroseconds.map(Timestamps.format)
        cron = schedule.cron
        timezone = schedule.timeZone
        inFreeze = schedule.inFreeze.rawValue
        enabled = schedule.enabled
        requestedBy = schedule.requestedBy
        requester = schedule.requester
        lastOccurrence = schedule.lastOccurrence.map(Timestamps.format)
        waitingOccurrence = schedule.waitingOccurrence.map(Timestamps.format)
        nextOccurrence = schedule.next(after: nowMicroseconds).map(Timestamps.format)
    }
}
