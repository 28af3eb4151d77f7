import Foundation
import HTTPTypes
import Ledger
import LedgerDomain

/// `POST /deployments/{id}/approve` and `…/reject`: the comment that says why.
struct ApprovalRequest: Decodable, Sendable {
    var comment: String
}

/// `PUT /environments/{id}/protection`: the rules, each optional (left out: demands nothing).
struct ProtectionRequest: Decodable, Sendable {
    var requiredApprovals: Int?
    var reviewerRoles: [Role]?
    var reviewerUsers: [String]?
    var allowedRefs: [String]?
    var requireDeployPermission: Bool?
    var approvalLifetimeHours: Int?
    /// The environment a commit must have succeeded in first.
    var upstreamEnvironmentID: String?
    /// Minutes a deployment waits after it is requested (0–43,200).
    var waitMinutes: Int?

    var rules: ProtectionRules {
        ProtectionRules(
            requiredApprovals: requiredApprovals ?? 0, reviewers: .init(roles: reviewerRoles ?? [], users: reviewerUsers ?? []),
            allowedRefs: allowedRefs ?? [], deployPermission: requireDeployPermission ?? false,
            approvalLifetimeHours: approvalLifetimeHours ?? ProtectionRules.defaultApprovalLifetimeHours, upstream: upstreamEnvironmentID,
            waitMinutes: waitMinutes ?? 0)
    }
}

/// An environment's protection rules as the API shows them (all open when none are set).
struct ProtectionBody: Encodable, Sendable {
    var environmentID: String
    var protected: Bool
    var requiredApprovals: Int
    var reviewerRoles: [String]
    var reviewerUsers: [String]
    var allowedRefs: [String]
    var requireDeployPermission: Bool
    var approvalLifetimeHours: Int
    var upstreamEnvironmentID: String?
    var waitMinutes: Int

    init(environmentID: String, _ rules: ProtectionRules?) {
        upstreamEnvironmentID = rules?.upstream
        waitMinutes = rules?.waitMinutes ?? 0
        let rules = rules ?? .open
        self.environmentID = environmentID
        protected = rules.demandsSomething
        requiredApprovals = rules.requiredApprovals
        reviewerRoles = rules.reviewers.roles.map(\.rawValue)
        reviewerUsers = rules.reviewers.users
        allowedRefs = rules.allowedRefs
        requireDeployPermission = rules.deployPermission
        approvalLifetimeHours = rules.approvalLifetimeHours
    }
}

/// What a deployment waited for and who approved it, as the API shows it.
struct ApprovalBody: Encodable, Sendable {
    struct Verdict: Encodable, Sendable {
        var user: String
        var role: String?
        var comment: String
        var at: String
        /// The commit the approval was for (null for a rejection).
        var commit: String?
        /// Whether it still counts: of the artifact the deployment runs, and not expired.
        var standing: Bool
    }

    var requiredApprovals: Int
    var standingApprovals: Int
    var commit: String
    var configurationFingerprint: String
    var pipelineFingerprint: String?
    /// Who may not approve: the requester, and for a push the commit's author.
    var excluded: [String]
    var reviewerRoles: [String]
    var reviewerUsers: [String]
    var approvalLifetimeHours: Int
    var approvals: [Verdict]
    var voidedApprovals: Int
    var lastVoidReason: String?
    var rejection: Verdict?
    var grantedBy: [String]?
    var grantedAt: String?
    /// The wait timer's end: not released before it.
    var notBefore: String?

    init(_ state: ApprovalState, nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)) {
        let standing = state.standing(at: state.grantedAtMicroseconds ?? nowMicroseconds)
        requiredApprovals = state.requiredApprovals
        standingApprovals = standing.count
        commit = state.artifact.commit
        configurationFingerprint = state.artifact.configurationFingerprint
        pipelineFingerprint = state.artifact.pipelineFingerprint
        excluded = state.excluded
        reviewerRoles = state.reviewers.roles.map(\.rawValue)
        reviewerUsers = state.reviewers.users
        approvalLifetimeHours = state.approvalLifetimeHours
        approvals = state.approvals.map { verdict in
            Verdict(
                user: verdict.person, role: verdict.role?.rawValue, comment: verdict.comment, at: Timestamps.format(verdict.atMicroseconds),
                commit: verdict.artifact?.commit, standing: standing.contains(verdict))
        }
        voidedApprovals = state.voidedCount
        lastVoidReason = state.lastVoidReason
        rejection = state.rejection.map {
            Verdict(user: $0.person, role: $0.role?.rawValue, comment: $0.comment, at: Timestamps.format($0.atMicroseconds), commit: nil, standing: false)
        }
        grantedBy = state.grantedBy
        grantedAt = state.grantedAtMicroseconds.map(Timestamps.format)
        notBefore = state.notBeforeMicroseconds.map(Timestamps.format)
    }
}
