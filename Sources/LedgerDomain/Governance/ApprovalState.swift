import Ledger

/// A deployment's approvals as its stream tells them: what it waits for, who approved which
/// artifact and when, and how it ended (granted or rejected). Part of ``DeploymentState``.
public struct ApprovalState: Codable, Sendable, Equatable {
    /// One approval or rejection given.
    public struct Verdict: Codable, Sendable, Equatable {
        public var person: String
        public var role: Role?
        public var comment: String
        public var atMicroseconds: Int64
        /// The artifact approved (nil for a rejection).
        public var artifact: ApprovedArtifact?
    }

    public var requiredApprovals: Int
    public var reviewers: ProtectionRules.Reviewers
    public var approvalLifetimeHours: Int
    /// What must be approved now.
    public var artifact: ApprovedArtifact
    /// The people who may not approve (the requester; a push's author).
    public var excluded: [String]
    /// The wait timer's end: not released before it.
    public var notBeforeMicroseconds: Int64?
    /// Every approval given, in order, including those a change voided.
    public var approvals: [Verdict] = []
    /// How many approvals were voided by changes of the artifact, and the last reason.
    public var voidedCount = 0
    public var lastVoidReason: String?
    public var rejection: Verdict?
    /// The people whose approvals released it, once it was released.
    public var grantedBy: [String]?
    public var grantedAtMicroseconds: Int64?

    /// The approvals that count at `now`: of the current artifact, not expired, one per person.
    public func standing(at nowMicroseconds: Int64) -> [Verdict] {
        let lifetime = Int64(approvalLifetimeHours) * 3_600_000_000
        var seen: Set<String> = []
        return approvals.filter { verdict in
            verdict.artifact == artifact && verdict.atMicroseconds + lifetime > nowMicroseconds && seen.insert(verdict.person).inserted
        }
    }

    mutating func apply(_ event: DomainEvent, at: Int64) {
        switch event {
        case .deploymentApproved(let e):
            approvals.append(Verdict(person: e.approver, role: e.role, comment: e.comment, atMicroseconds: at, artifact: e.artifact))
        case .deploymentRejected(let e):
            rejection = Verdict(person: e.approver, role: e.role, comment: e.comment, atMicroseconds: at, artifact: nil)
        case .deploymentApprovalsVoided(let e):
            voidedCount += approvals.filter { $0.artifact == artifact }.count
            lastVoidReason = e.reason
            artifact = e.artifact
        case .deploymentApprovalGranted(let e):
            grantedBy = e.approvers
            grantedAtMicroseconds = at
        default: break
        }
    }
}
