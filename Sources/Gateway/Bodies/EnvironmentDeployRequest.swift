import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain

/// `POST /api/v1/environments/{id}/deploy`: the branch defaults to the one the environment tracks.
struct EnvironmentDeployRequest: Decodable, Sendable {
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var gitMessage: String?
    var force: Bool?
    /// Deploy through a freeze window, for this reason (needs `project.freeze.override`).
    var breakGlassReason: String?

    var git: GitReference { GitReference(branch: gitBranch, commit: gitCommit, tag: gitTag, message: gitMessage) }
}

/// `POST /api/v1/deployments/{id}/retry` and `…/rollback`: optionally, a break-glass reason.
struct BreakGlassRequest: Decodable, Sendable {
    var breakGlassReason: String?
}
