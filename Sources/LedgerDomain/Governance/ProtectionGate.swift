import Ledger

/// Whether a new deployment may begin at once under its environment's protection rules, must
/// wait for approval, or is refused (a ref the rules do not allow, a caller without the
/// permission to deploy there). A pure function of the rules and the request.
public enum ProtectionGate {
    /// What the rules ask of a deployment of `git` with `configuration` through `pipeline`:
    /// nil when it may begin now, else the approval it waits for. Throws when it may not be
    /// requested at all.
    public static func check(
        _ rules: ProtectionRules?, environmentID: String, trigger: DeploymentTrigger, git: GitReference,
        configuration: EnvironmentConfiguration, pipeline: PlannedPipeline?, request: DeploymentDecisions.Request
    ) throws -> DeploymentAwaitingApproval? {
        guard let rules, rules.demandsSomething else { return nil }
        if rules.deployPermission && !request.mayDeployProtected {
            throw CommandRejection(
                .forbidden, "deploying to \(environmentID) needs the permission \(Permission.deployProtected.rawValue), which this role lacks")
        }
        if !rules.allowedRefs.isEmpty, trigger != .rollback {
            let refs = [git.branch, git.tag].compactMap { $0 }.filter { !$0.isEmpty }
            let allowed = refs.contains { ref in rules.allowedRefs.contains { RefPattern.matches($0, ref) } }
            guard allowed else {
                let named = refs.isEmpty ? "a commit without a branch or tag" : refs.joined(separator: " / ")
                throw CommandRejection(
                    .forbidden, "\(environmentID) deploys only refs matching \(rules.allowedRefs.joined(separator: ", ")); \(named) does not")
            }
        }
        guard rules.requiredApprovals > 0 else { return nil }
        guard let commit = git.commit, !commit.isEmpty else {
            throw CommandRejection(
                .invalid, "\(environmentID) needs approval, and an approval is of an exact commit: name the commit to deploy")
        }
        return DeploymentAwaitingApproval(
            deploymentID: request.deploymentID, requiredApprovals: rules.requiredApprovals, reviewers: rules.reviewers,
            approvalLifetimeHours: rules.approvalLifetimeHours,
            artifact: ApprovedArtifact(commit: commit, configuration: configuration, pipeline: pipeline),
            excluded: excluded(request: request, trigger: trigger, git: git))
    }

    /// Who may not approve: the person behind the request, and for a push the commit's author
    /// (the requester of record, and the person who wrote the change).
    static func excluded(request: DeploymentDecisions.Request, trigger: DeploymentTrigger, git: GitReference) -> [String] {
        var people = [request.person ?? request.actor]
        if trigger == .gitPush, let author = git.author, !author.isEmpty, !people.contains(author) { people.append(author) }
        return people.filter { !$0.isEmpty }
    }
}
