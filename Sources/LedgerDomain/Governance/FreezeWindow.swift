import Foundation
import Ledger

/// A period in which nothing is deployed to an environment (or any environment of a project):
/// recurring — a cron start and end in a time zone, GitLab's shape — or once, from one instant
/// to another. Enforced by the ledger for every trigger; a window may let rollbacks through
/// (they repair), and a break-glass deploy passes any window with its own permission and a
/// reason, flagged in the audit trail.
public struct FreezeWindow: Codable, Sendable, Hashable {
    public var name: String
    public var cronStart: String?
    public var cronEnd: String?
    /// An IANA time zone (`Europe/Berlin`); UTC when left out.
    public var timeZone: String?
    public var fromMicroseconds: Int64?
    public var toMicroseconds: Int64?
    public var allowRollbacks: Bool

    public init(
        name: String, cronStart: String? = nil, cronEnd: String? = nil, timeZone: String? = nil, fromMicroseconds: Int64? = nil,
        toMicroseconds: Int64? = nil, allowRollbacks: Bool = false
    ) {
        self.name = name
        self.cronStart = cronStart
        self.cronEnd = cronEnd
        self.timeZone = timeZone
        self.fromMicroseconds = fromMicroseconds
        self.toMicroseconds = toMicroseconds
        self.allowRollbacks = allowRollbacks
    }

    public static let maximumWindows = 20

    /// Why the window cannot be used; empty when it can.
    public var problems: [String] {
        var problems: [String] = []
        if !(1...100).contains(name.count) || !ProtectionRules.isPersonName(name) { problems.append("a freeze window's name is 1–100 printable characters") }
        let recurring = cronStart != nil || cronEnd != nil
        let once = fromMicroseconds != nil || toMicroseconds != nil
        switch (recurring, once) {
        case (true, true): problems.append("window '\(name)' is either recurring (cron_start, cron_end) or once (from, to), not both")
        case (false, false): problems.append("window '\(name)' needs cron_start and cron_end, or from and to")
        case (true, false):
            guard let cronStart, let cronEnd else {
                problems.append("window '\(name)' needs both cron_start and cron_end")
                break
            }
            problems += [CronSchedule.unusable(cronStart), CronSchedule.unusable(cronEnd)].compactMap { $0 }
            if let timeZone, let problem = Self.timeZoneProblem(timeZone) { problems.append(problem) }
        case (false, true):
            if let from = fromMicroseconds, let to = toMicroseconds {
                if from >= to { problems.append("window '\(name)' must end after it starts") }
            } else {
                problems.append("window '\(name)' needs both from and to")
            }
        }
        return problems
    }

    /// Why `name` is not an IANA time zone this reads; nil when it is. Only names of letters,
    /// digits, `_`, `+`, `-` and `/`-separated parts are looked up (never a path such as `../x`).
    public static func timeZoneProblem(_ name: String) -> String? {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let wellFormed = (1...64).contains(name.count) && parts.allSatisfy { part in
            !part.isEmpty && part.first!.isLetter && part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_+-".unicodeScalars.contains($0)) }
        }
        guard wellFormed, TimeZone(identifier: name) != nil else {
            return "'\(name.prefix(60))' is not a time zone (use an IANA name such as Europe/Berlin)"
        }
        return nil
    }

    /// Whether the window is in force at `now`, and until when (nil: unknown, or not in force).
    public func state(at nowMicroseconds: Int64) -> (active: Bool, until: Int64?) {
        if let from = fromMicroseconds, let to = toMicroseconds {
            return (from <= nowMicroseconds && nowMicroseconds < to, to)
        }
        guard let start = cronStart.flatMap(CronSchedule.init), let end = cronEnd.flatMap(CronSchedule.init),
            let zone = TimeZone(identifier: timeZone ?? "UTC")
        else { return (false, nil) }
        let now = Date(timeIntervalSince1970: Double(nowMicroseconds) / 1_000_000)
        guard let started = start.previous(atOrBefore: now, in: zone) else { return (false, nil) }
        if let ended = end.previous(atOrBefore: now, in: zone), ended >= started { return (false, nil) }
        return (true, end.next(after: now, in: zone).map { Int64($0.timeIntervalSince1970 * 1_000_000) })
    }
}

/// A deployment that passed a freeze by breaking glass: why, and which windows it passed.
public struct BreakGlass: Codable, Sendable, Hashable {
    public var reason: String
    public var windows: [String]

    public init(reason: String, windows: [String]) {
        self.reason = reason
        self.windows = windows
    }
}

/// The evidence that a commit succeeded upstream before it was deployed here.
public struct PromotionEvidence: Codable, Sendable, Hashable {
    public var environmentID: String
    public var deploymentID: String
    public var commit: String
    public var deployedAtMicroseconds: Int64

    public init(environmentID: String, deploymentID: String, commit: String, deployedAtMicroseconds: Int64) {
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.commit = commit
        self.deployedAtMicroseconds = deployedAtMicroseconds
    }
}

/// The freeze windows of an environment or a project were set (empty: none).
public struct FreezeWindowsChanged: LedgerEvent, Equatable {
    public static let eventType = "FreezeWindowsChanged"
    /// `environment` or `project`.
    public var scope: String
    public var targetID: String
    public var windows: [FreezeWindow]

    public init(scope: String, targetID: String, windows: [FreezeWindow]) {
        self.scope = scope
        self.targetID = targetID
        self.windows = windows
    }
}
