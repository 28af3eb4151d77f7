import HTTPTypes
import Hummingbird
import Ledger

/// `POST /api/v1/environments/{id}/deploy`: the branch defaults to the one the environment tracks.
struct EnvironmentDeployRequest: Decodable, Sendable {
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var gitMessage: String?
    var force: Bool?

    enum CodingKeys: String, CodingKey {
        case gitBranch = "git_branch"
        case gitCommit = "git_commit"
        case gitTag = "git_tag"
        case gitMessage = "git_message"
        case force
    }

    var git: GitReference { GitReference(branch: gitBranch, commit: gitCommit, tag: gitTag, message: gitMessage) }
}
