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
        default: return ""
        }
    }

    /// The rules in a line: approvals and who gives them, refs, permission, lifetime.
    static func describe(_ rules: ProtectionRules) -> String {
        var parts: [String] = []
        if rules.requiredApprovals > 0 {
            let who = rules.reviewers.isUnconstrained
                ? "anyone who may approve" : (rules.reviewers.roles.map(\.rawValue) + rules.reviewers.users).joined(separator: ", ")
            parts.append("\(rules.requiredApprovals) approval\(rules.requiredApprovals == 1 ? "" : "s") by \(who), valid \(rules.approvalLifetimeHours) h")
        }
        if !rules.allowedRefs.isEmpty { parts.append("refs \(rules.allowedRefs.joined(separator: ", "))") }
        if rules.deployPermission { parts.append("deploying needs \(Permission.deployProtected.rawValue)") }
        return parts.joined(separator: "; ")
    }
}
