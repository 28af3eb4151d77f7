import Ledger
import LedgerDomain

extension AuditSummary {
    /// The audit line of an event of governed change: rules, approvals, rejections.
    static func describeGovernance(_ event: DomainEvent) -> String {
        switch event {
        case .environmentProtectionChanged(let e):
            guard let rules = e.rules else { return "removed the protection rules of \(e.environmentID)" }
            return "protected \(e.environmentID): " + describe(rules)
        case .environmentDeploymentAwaitingApproval(let e):
            return "deployment #\(e.number) (\(e.trigger.rawValue)) awaits approval on \(e.environmentID)"
        case .deploymentAwaitingApproval(let e):
            return "awaiting \(e.requiredApprovals) approval\(e.requiredApprovals == 1 ? "" : "s") of commit \(e.artifact.commit), configuration "
                + "\(e.artifact.configurationFingerprint.prefix(19))…; may not approve: \(e.excluded.joined(separator: ", "))"
        case .deploymentApproved(let e):
            return "approved by \(e.approver)" + (e.role.map { " (\($0.rawValue))" } ?? "") + " for commit \(e.artifact.commit): \(e.comment)"
        case .deploymentRejected(let e): return "rejected by \(e.approver)" + (e.role.map { " (\($0.rawValue))" } ?? "") + ": \(e.comment)"
        case .deploymentApprovalsVoided(let e): return "approvals voided: \(e.reason)"
        case .deploymentApprovalGranted(let e): return "released after approval by \(e.approvers.joined(separator: ", "))"
        case .freezeWindowsChanged(let e):
            guard !e.windows.isEmpty else { return "removed the freeze windows of \(e.scope) \(e.targetID)" }
            return "set the freeze windows of \(e.scope) \(e.targetID): " + e.windows.map(describe).joined(separator: "; ")
        case .deploymentScheduleSet(let e):
            let when = e.schedule.cron.map { "on '\($0)' (\(e.schedule.timeZone ?? "UTC"))" } ?? e.schedule.atMicroseconds.map { "at \(Timestamps.format($0))" } ?? ""
            return "scheduled \(e.schedule.scheduleID): deploy \(e.schedule.git.shortDescription) to \(e.environmentID) \(when)"
                + ", in a freeze: \(e.schedule.inFreeze.rawValue)" + (e.schedule.enabled ? "" : " (disabled)")
        case .deploymentScheduleRemoved(let e): return "removed schedule \(e.scheduleID) of \(e.environmentID)"
        case .scheduledOccurrenceRecorded(let e):
            return "schedule \(e.scheduleID) at \(Timestamps.format(e.occurrenceMicroseconds)): \(e.outcome.rawValue)"
                + (e.deploymentID.map { " deployment \($0)" } ?? "") + (e.reason.map { " (\($0))" } ?? "")
        default: return ""
        }
    }

    /// A deployment's request in a line: what, where, why, and whether it passed a freeze.
    static func describeRequest(_ e: DeploymentRequested) -> String {
        "requested deployment #\(e.number) of \(e.git.shortDescription) to \(e.environmentID) (\(e.trigger.rawValue))"
            + (e.pipeline.map { ", pipeline \($0.name) (\($0.fingerprint.prefix(19))…)" } ?? "")
            + (e.retryOf.map { ", retry of \($0)" } ?? "") + (e.rollbackTo.map { ", rollback to \($0)" } ?? "")
            + (e.force ? ", forced" : "") + (e.promotion.map { ", promoted from \($0.environmentID) (deployment \($0.deploymentID))" } ?? "")
            + (e.breakGlass.map { ", BREAK-GLASS through freeze \($0.windows.joined(separator: ", ")): \($0.reason)" } ?? "")
    }

    /// A freeze window in a line: its name and when it is in force.
    static func describe(_ window: FreezeWindow) -> String {
        let when: String
        if let start = window.cronStart, let end = window.cronEnd {
            when = "from '\(start)' to '\(end)' (\(window.timeZone ?? "UTC"))"
        } else {
            when = "from \(Timestamps.format(window.fromMicroseconds ?? 0)) to \(Timestamps.format(window.toMicroseconds ?? 0))"
        }
        return "\(window.name) \(when)" + (window.allowRollbacks ? ", rollbacks allowed" : "")
    }

    /// The rules in a line: approvals and who gives them, refs, permission, lifetime.
    public static func describe(_ rules: ProtectionRules) -> String {
        var parts: [String] = []
        if rules.requiredApprovals > 0 {
            let who = rules.reviewers.isUnconstrained
                ? "anyone who may approve" : (rules.reviewers.roles.map(\.rawValue) + rules.reviewers.users).joined(separator: ", ")
            parts.append("\(rules.requiredApprovals) approval\(rules.requiredApprovals == 1 ? "" : "s") by \(who), valid \(rules.approvalLifetimeHours) h")
        }
        if !rules.allowedRefs.isEmpty { parts.append("refs \(rules.allowedRefs.joined(separator: ", "))") }
        if let upstream = rules.upstream { parts.append("promoted from \(upstream) first") }
        if rules.waitMinutes > 0 { parts.append("a wait of \(rules.waitMinutes) min") }
        if rules.deployPermission { parts.append("deploying needs \(Permission.deployProtected.rawValue)") }
        return parts.joined(separator: "; ")
    }
}
