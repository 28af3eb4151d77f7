import Foundation
import Ledger

/// A deployment planned ahead — at an instant, or on a cron schedule in a time zone (the seed's
/// `{"schedule": {"cron", "timezone", "enabled"}}`) — of a git reference to its environment.
/// Each occurrence is requested with the trigger `scheduled` through every rule an environment
/// has (approvals, promotion, freezes) on behalf of the person who scheduled it; one that falls
/// in a freeze waits for its end or is skipped, as `inFreeze` says, and the log says which.
public struct DeploymentSchedule: Codable, Sendable, Hashable {
    /// What an occurrence does when a freeze is in force.
    public enum FreezePolicy: String, Codable, Sendable, CaseIterable {
        /// It is requested as soon as the freeze ends (a later occurrence replaces it).
        case wait
        /// It is skipped; the next occurrence is tried.
        case skip
    }

    public var scheduleID: String
    public var git: GitReference
    public var atMicroseconds: Int64?
    public var cron: String?
    /// An IANA time zone; UTC when left out.
    public var timeZone: String?
    public var inFreeze: FreezePolicy
    public var enabled: Bool
    /// Who scheduled it (recorded as the requester of each occurrence).
    public var requestedBy: String
    public var requester: String?
    public var createdAtMicroseconds: Int64
    /// The last occurrence dealt with (requested, skipped or refused).
    public var lastOccurrence: Int64?
    /// The occurrence held by a freeze, when one is.
    public var waitingOccurrence: Int64?

    public init(
        scheduleID: String, git: GitReference, atMicroseconds: Int64? = nil, cron: String? = nil, timeZone: String? = nil,
        inFreeze: FreezePolicy = .wait, enabled: Bool = true, requestedBy: String, requester: String? = nil, createdAtMicroseconds: Int64
    ) {
        self.scheduleID = scheduleID
        self.git = git
        self.atMicroseconds = atMicroseconds
        self.cron = cron
        self.timeZone = timeZone
        self.inFreeze = inFreeze
        self.enabled = enabled
        self.requestedBy = requestedBy
        self.requester = requester
        self.createdAtMicroseconds = createdAtMicroseconds
    }

    /// Why it cannot be used; empty when it can.
    public var problems: [String] {
        var problems: [String] = []
        if (try? DomainIDs.validate(scheduleID, kind: "schedule")) == nil { problems.append("a schedule id is a lowercase identifier") }
        if !git.namesSomething { problems.append("a schedule deploys a branch, commit or tag") }
        problems += GitRefRules.problems(git)
        switch (atMicroseconds, cron) {
        case (nil, nil), (.some, .some): problems.append("a schedule has either an instant (at) or a cron expression")
        case (nil, .some(let cron)): if let problem = CronSchedule.unusable(cron) { problems.append(problem) }
        default: break
        }
        if let timeZone, let problem = FreezeWindow.timeZoneProblem(timeZone) { problems.append(problem) }
        return problems
    }

    /// The occurrence due at `now` and not yet dealt with: the instant once, or the latest cron
    /// occurrence since the last one (missed ones in between are not made up for). Nil when none.
    public func due(at now: Int64) -> Int64? {
        guard enabled else { return nil }
        if let at = atMicroseconds { return lastOccurrence == nil && at <= now ? at : nil }
        guard let cron = cron.flatMap(CronSchedule.init), let zone = TimeZone(identifier: timeZone ?? "UTC"),
            let latest = cron.previous(atOrBefore: Date(timeIntervalSince1970: Double(now) / 1_000_000), in: zone)
        else { return waitingOccurrence }
        let occurrence = Int64(latest.timeIntervalSince1970 * 1_000_000)
        // One held by a freeze is replaced by a later one.
        if let waitingOccurrence { return max(waitingOccurrence, occurrence) }
        return occurrence > max(lastOccurrence ?? createdAtMicroseconds, createdAtMicroseconds) ? occurrence : nil
    }

    /// The next occurrence after `now` (for people reading the schedule).
    public func next(after now: Int64) -> Int64? {
        guard enabled else { return nil }
        if let at = atMicroseconds { return lastOccurrence == nil && at > now ? at : nil }
        guard let cron = cron.flatMap(CronSchedule.init), let zone = TimeZone(identifier: timeZone ?? "UTC") else { return nil }
        return cron.next(after: Date(timeIntervalSince1970: Double(now) / 1_000_000), in: zone).map { Int64($0.timeIntervalSince1970 * 1_000_000) }
    }
}

/// A deployment was scheduled on an environment (or its schedule replaced).
public struct DeploymentScheduleSet: LedgerEvent, Equatable {
    public static let eventType = "DeploymentScheduleSet"
    public var environmentID: String
    public var schedule: DeploymentSchedule

    public init(environmentID: String, schedule: DeploymentSchedule) {
        self.environmentID = environmentID
        self.schedule = schedule
    }
}

/// A schedule was removed: no occurrence of it is requested from now on.
public struct DeploymentScheduleRemoved: LedgerEvent, Equatable {
    public static let eventType = "DeploymentScheduleRemoved"
    public var environmentID: String
    public var scheduleID: String

    public init(environmentID: String, scheduleID: String) {
        self.environmentID = environmentID
        self.scheduleID = scheduleID
    }
}

/// What became of one occurrence of a schedule: `requested` (the deployment it started),
/// `waiting` (held by a freeze; tried again until it ends), `skipped` (a freeze, and the schedule
/// skips), or `refused` (another rule said no: the reason).
public struct ScheduledOccurrenceRecorded: LedgerEvent, Equatable {
    public static let eventType = "ScheduledOccurrenceRecorded"

    /// What became of an occurrence (stored as its raw value).
    public enum Outcome: String, Codable, Sendable {
        case requested, waiting, skipped, refused
    }

    public var environmentID: String
    public var scheduleID: String
    public var occurrenceMicroseconds: Int64
    public var outcome: Outcome
    public var deploymentID: String?
    public var reason: String?

    public init(environmentID: String, scheduleID: String, occurrenceMicroseconds: Int64, outcome: Outcome, deploymentID: String? = nil, reason: String? = nil) {
        self.environmentID = environmentID
        self.scheduleID = scheduleID
        self.occurrenceMicroseconds = occurrenceMicroseconds
        self.outcome = outcome
        self.deploymentID = deploymentID
        self.reason = reason
    }
}
