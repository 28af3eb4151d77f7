import Foundation
import Ledger

/// What the governance checks need beyond the environment: the instant, the upstream
/// environment a promotion rule names, and the project's freeze windows.
public struct GovernanceInputs: Sendable {
    public var nowMicroseconds: Int64
    public var upstream: EnvironmentState?
    public var projectFreezes: [FreezeWindow]

    public init(nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000), upstream: EnvironmentState? = nil, projectFreezes: [FreezeWindow] = []) {
        self.nowMicroseconds = nowMicroseconds
        self.upstream = upstream
        self.projectFreezes = projectFreezes
    }
}

/// Whether a new deployment may begin at once under its environment's rules and freeze windows,
/// must wait for approval, or is refused (a ref the rules do not allow, a caller without the
/// permission to deploy there, a commit not yet promoted, a freeze). Pure functions.
public enum ProtectionGate {
    /// What the gate decided for a deployment that may be requested.
    public struct Outcome: Sendable, Equatable {
        /// Set when it must wait for approval.
        public var awaiting: DeploymentAwaitingApproval?
        public var promotion: PromotionEvidence?
        public var breakGlass: BreakGlass?
    }

    /// Checks a deployment of `git` with `configuration` through `pipeline` on `environment`.
    public static func check(
        _ environment: EnvironmentState, trigger: DeploymentTrigger, git: GitReference, configuration: EnvironmentConfiguration,
        pipeline: PlannedPipeline?, request: DeploymentDecisions.Request, inputs: GovernanceInputs
    ) throws -> Outcome {
        let id = environment.environmentID
        var outcome = Outcome()
        outcome.breakGlass = try freeze(environment.freezeWindows + inputs.projectFreezes, environmentID: id, trigger: trigger, request: request, at: inputs.nowMicroseconds)
        guard let rules = environment.protection, rules.demandsSomething else { return outcome }
        if rules.deployPermission && !request.mayDeployProtected {
            throw CommandRejection(.forbidden, "deploying to \(id) needs the permission \(Permission.deployProtected.rawValue), which this role lacks")
        }
        if !rules.allowedRefs.isEmpty, trigger != .rollback {
            let refs = [git.branch, git.tag].compactMap { $0 }.filter { !$0.isEmpty }
            guard refs.contains(where: { ref in rules.allowedRefs.contains { RefPattern.matches($0, ref) } }) else {
                let named = refs.isEmpty ? "a commit without a branch or tag" : refs.joined(separator: " / ")
                throw CommandRejection(.forbidden, "\(id) deploys only refs matching \(rules.allowedRefs.joined(separator: ", ")); \(named) does not")
            }
        }
        if let upstream = rules.upstream, trigger != .rollback {
            outcome.promotion = try promotion(of: git, into: id, from: upstream, upstreamState: inputs.upstream)
        }
        guard rules.requiredApprovals > 0 || rules.waitMinutes > 0 else { return outcome }
        let commit = git.commit ?? ""
        guard rules.requiredApprovals == 0 || !commit.isEmpty else {
            throw CommandRejection(.invalid, "\(id) needs approval, and an approval is of an exact commit: name the commit to deploy")
        }
        outcome.awaiting = DeploymentAwaitingApproval(
            deploymentID: request.deploymentID, requiredApprovals: rules.requiredApprovals, reviewers: rules.reviewers,
            approvalLifetimeHours: rules.approvalLifetimeHours,
            artifact: ApprovedArtifact(commit: commit, configuration: configuration, pipeline: pipeline),
            excluded: excluded(request: request, trigger: trigger, git: git),
            notBeforeMicroseconds: rules.waitMinutes > 0 ? inputs.nowMicroseconds + Int64(rules.waitMinutes) * 60_000_000 : nil)
        return outcome
    }

    /// Nil when no window is in force for `trigger` at `now`; the break-glass record when the
    /// request breaks glass with the permission; else a refusal that says until when.
    public static func freeze(
        _ windows: [FreezeWindow], environmentID: String, trigger: DeploymentTrigger, request: DeploymentDecisions.Request, at now: Int64
    ) throws -> BreakGlass? {
        let active = activeFreezes(windows, trigger: trigger, at: now)
        guard !active.isEmpty else { return nil }
        let names = active.map(\.0.name)
        if let reason = request.breakGlassReason {
            guard request.mayOverrideFreeze else {
                throw CommandRejection(.forbidden, "breaking glass needs the permission \(Permission.overrideFreeze.rawValue), which this role lacks")
            }
            guard (1...ApprovalDecisions.maximumCommentLength).contains(reason.count), !reason.contains("\0") else {
                throw CommandRejection(.invalid, "a break-glass reason is 1–\(ApprovalDecisions.maximumCommentLength) characters")
            }
            return BreakGlass(reason: reason, windows: names)
        }
        let until = active.compactMap(\.1).max().map { " until " + Self.format($0) } ?? ""
        throw CommandRejection(
            .frozen,
            "\(environmentID) is frozen (\(names.joined(separator: ", ")))\(until): nothing is deployed; a break-glass deploy needs "
                + "\(Permission.overrideFreeze.rawValue) and a reason")
    }

    /// The windows in force for `trigger` at `now` (a window that lets rollbacks through does
    /// not hold one), each with the instant it ends when known.
    public static func activeFreezes(_ windows: [FreezeWindow], trigger: DeploymentTrigger, at now: Int64) -> [(FreezeWindow, Int64?)] {
        windows.compactMap { window in
            guard !(trigger == .rollback && window.allowRollbacks) else { return nil }
            let state = window.state(at: now)
            return state.active ? (window, state.until) : nil
        }
    }

    /// The evidence that `git`'s commit succeeded in `upstream`, or the refusal.
    static func promotion(of git: GitReference, into id: String, from upstream: String, upstreamState: EnvironmentState?) throws -> PromotionEvidence {
        guard let commit = git.commit, !commit.isEmpty else {
            throw CommandRejection(.invalid, "\(id) takes only commits promoted from \(upstream): name the commit to deploy")
        }
        let release = upstreamState?.releases.last { release in
            guard let released = release.git.commit else { return false }
            return released.lowercased().hasPrefix(commit.lowercased()) || commit.lowercased().hasPrefix(released.lowercased())
        }
        guard let release else {
            throw CommandRejection(.notPromoted, "commit \(commit) has not succeeded in \(upstream): deploy it there first, then here")
        }
        return PromotionEvidence(
            environmentID: upstream, deploymentID: release.deploymentID, commit: release.git.commit ?? commit,
            deployedAtMicroseconds: release.deployedAtMicroseconds)
    }

    /// Who may not approve: the person behind the request, and for a push the commit's author
    /// (the requester of record, and the person who wrote the change).
    static func excluded(request: DeploymentDecisions.Request, trigger: DeploymentTrigger, git: GitReference) -> [String] {
        var people = [request.person ?? request.actor]
        if trigger == .gitPush, let author = git.author, !author.isEmpty, !people.contains(author) { people.append(author) }
        return people.filter { !$0.isEmpty }
    }

    static func format(_ microseconds: Int64) -> String { Timestamps.format(microseconds) }
}
