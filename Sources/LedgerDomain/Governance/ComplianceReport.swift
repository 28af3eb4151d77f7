import Ledger

/// The change-management evidence for one environment over a period: every deployment
/// requested in it — who asked, who approved (with time and comment) under the rules in force
/// then, that no approver was the requester, the promotion evidence, a freeze broken and why,
/// the outcome, and exactly what ran — plus the integrity of the log range it is built from.
/// Built from the log (the environment's and each deployment's stream), never a read model.
public struct ComplianceReport: Codable, Sendable, Equatable {
    /// One approval as the report shows it.
    public struct Approval: Codable, Sendable, Equatable {
        public var user: String
        public var role: String?
        public var atMicroseconds: Int64
        public var comment: String
        public var commit: String?
        /// Whether it counted toward the release (of the artifact that ran, not expired).
        public var counted: Bool
    }

    /// One change: a deployment requested in the period.
    public struct Change: Codable, Sendable, Equatable {
        public var deploymentID: String
        public var number: Int
        public var trigger: String
        public var status: String
        public var requestedAtMicroseconds: Int64
        public var finishedAtMicroseconds: Int64?
        /// The person of record (a token's user, a push's author), else the actor.
        public var requester: String
        public var actor: String
        public var branch: String?
        public var tag: String?
        public var commit: String?
        public var configurationFingerprint: String
        /// The pipeline planned at the request, and the one the executor ran.
        public var plannedPipelineFingerprint: String?
        public var ranPipelineFingerprint: String?
        /// The rules in force on the environment when it was requested (nil: none).
        public var rulesInForce: ProtectionRules?
        public var requiredApprovals: Int
        public var approvals: [Approval]
        public var approvalsVoided: Int
        public var rejection: Approval?
        /// `held` (enough approvals, none by the requester or an excluded person), `not_required`,
        /// `pending` (still waiting or never released) or `violated`.
        public var separationOfDuties: String
        public var promotion: PromotionEvidence?
        public var breakGlass: BreakGlass?
        public var error: String?
    }

    public var environmentID: String
    public var fromMicroseconds: Int64
    public var toMicroseconds: Int64
    public var changes: [Change]
    public var integrity: RangeVerification?

    /// The report's changes from `deployments` (those requested in the period) and the rules
    /// from `environmentRecords` (the environment's stream, in order).
    public static func changes(
        _ deployments: [DeploymentState], environmentRecords: [DomainRecord], from: Int64, to: Int64
    ) -> [Change] {
        deployments.filter { (from..<to).contains($0.requestedAtMicroseconds) }.sorted { $0.requestedPosition < $1.requestedPosition }.map { deployment in
            let rules = rules(before: deployment.requestedPosition, in: environmentRecords)
            return change(deployment, rules: rules)
        }
    }

    /// The protection rules the environment's stream had set before `position`.
    static func rules(before position: Int64, in records: [DomainRecord]) -> ProtectionRules? {
        var rules: ProtectionRules?
        for record in records where record.position < position {
            if case .environmentProtectionChanged(let e) = record.event { rules = e.rules }
        }
        return rules
    }

    static func change(_ deployment: DeploymentState, rules: ProtectionRules?) -> Change {
        let approval = deployment.approval
        let counted = Set(approval?.grantedBy ?? [])
        let requester = deployment.requester ?? deployment.requestedBy
        let approvals = (approval?.approvals ?? []).map {
            Approval(user: $0.person, role: $0.role?.rawValue, atMicroseconds: $0.atMicroseconds, comment: $0.comment, commit: $0.artifact?.commit, counted: counted.contains($0.person))
        }
        let separation: String
        if let approval {
            let excluded = Set(approval.excluded + [requester])
            if approvals.contains(where: { excluded.contains($0.user) }) {
                separation = "violated"
            } else if let granted = approval.grantedBy {
                separation = granted.count >= approval.requiredApprovals && Set(granted).isDisjoint(with: excluded) ? "held" : "violated"
            } else {
                separation = "pending"
            }
        } else {
            separation = "not_required"
        }
        return Change(
            deploymentID: deployment.deploymentID, number: deployment.number, trigger: deployment.trigger.rawValue, status: deployment.status.rawValue,
            requestedAtMicroseconds: deployment.requestedAtMicroseconds, finishedAtMicroseconds: deployment.finishedAtMicroseconds,
            requester: requester, actor: deployment.requestedBy, branch: deployment.git.branch, tag: deployment.git.tag, commit: deployment.git.commit,
            configurationFingerprint: ApprovedArtifact.fingerprint(of: deployment.configuration),
            plannedPipelineFingerprint: deployment.plannedPipeline?.fingerprint, ranPipelineFingerprint: deployment.pipelineFingerprint,
            rulesInForce: rules, requiredApprovals: approval?.requiredApprovals ?? 0, approvals: approvals,
            approvalsVoided: approval?.voidedCount ?? 0,
            rejection: approval?.rejection.map {
                Approval(user: $0.person, role: $0.role?.rawValue, atMicroseconds: $0.atMicroseconds, comment: $0.comment, commit: nil, counted: false)
            },
            separationOfDuties: separation, promotion: deployment.promotion, breakGlass: deployment.breakGlass, error: deployment.error)
    }
}
