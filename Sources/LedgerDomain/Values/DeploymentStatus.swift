import Ledger

/// Where a deployment is in its life, with the seed platforms' names (`pending`, `queued`, …).
///
/// Every change of status goes through ``canTransition(to:)``: the one transition table that
/// decisions, folds and executors share.
public enum DeploymentStatus: String, Codable, Sendable, CaseIterable {
    case pending, queued, building, deploying, success, failed, cancelled
    case rolledBack = "rolled_back"
    case timedOut = "timed_out"
    case destroyed
    /// Held by its environment's protection rules until enough eligible people approve its
    /// exact artifact; it holds no executor and no lock meanwhile.
    case awaitingApproval = "awaiting_approval"
    /// A reviewer rejected it while it waited: it never ran.
    case rejected

    /// No executor will touch a deployment in a terminal status again. `success` is terminal for
    /// execution but can still become `rolled_back` when a rollback replaces it.
    public var isTerminal: Bool {
        switch self {
        case .pending, .queued, .building, .deploying, .awaitingApproval: false
        case .success, .failed, .cancelled, .rolledBack, .timedOut, .destroyed, .rejected: true
        }
    }

    /// Whether a deployment is still being worked on (it blocks its environment); one that
    /// waits for approval is not.
    public var isInFlight: Bool { !isTerminal && self != .awaitingApproval }

    /// The transition table: awaiting_approval → pending (approved) / rejected / cancelled;
    /// pending → queued → building → deploying → success / failed /
    /// cancelled / timed_out; success → rolled_back; a destroy record goes pending → destroyed,
    /// or — when an executor tears the environment down on its server — building/deploying → destroyed.
    public func canTransition(to next: DeploymentStatus) -> Bool {
        switch (self, next) {
        case (.pending, .queued), (.pending, .cancelled), (.pending, .failed), (.pending, .destroyed): true
        case (.queued, .building), (.queued, .cancelled), (.queued, .failed), (.queued, .timedOut): true
        case (.building, .deploying), (.building, .success), (.building, .failed), (.building, .cancelled),
            (.building, .timedOut):
            true
        case (.deploying, .success), (.deploying, .failed), (.deploying, .cancelled), (.deploying, .timedOut): true
        case (.building, .destroyed), (.deploying, .destroyed): true
        case (.success, .rolledBack): true
        case (.awaitingApproval, .pending), (.awaitingApproval, .rejected), (.awaitingApproval, .cancelled): true
        default: false
        }
    }
}

/// What caused a deployment (the seed platforms' trigger names).
public enum DeploymentTrigger: String, Codable, Sendable, CaseIterable {
    case manual
    case gitPush = "git_push"
    case webhook, scheduled, rollback
    case autoDeploy = "auto_deploy"
    case destroy
    case configUpdate = "config_update"
}

/// The state of an environment as dashboards show it.
public enum EnvironmentStatus: String, Codable, Sendable, CaseIterable {
    /// Created, nothing deployed yet (or nothing since it was destroyed).
    case pending
    /// A deployment is in flight.
    case deploying
    /// The last finished deployment succeeded (or a rollback restored a good one).
    case running
    /// The last finished deployment failed or timed out.
    case failed
    /// Destroyed: inactive, its resources no longer count against the quota.
    case destroyed
}
