import Foundation
import Ledger
import LedgerDomain

/// A deployment as the API shows it: the seed platform's fields (snake_case), plus the ledger's
/// own `position` — the log position of the last event the answer reflects.
struct DeploymentBody: Encodable, Sendable {
    struct ExtraData: Encodable, Sendable {
        var retryOf: String?
        var rollbackTo: String?
    }

    struct Step: Encodable, Sendable {
        var id: String
        var name: String
        var status: String
        var durationMs: Int?
        var latestMessage: String?

        init(_ step: StepProgress) {
            id = step.step.rawValue
            name = step.step.displayName
            status = step.status.rawValue
            durationMs = step.durationMs
            latestMessage = step.latestMessage
        }
    }

    /// Where the commit succeeded before (promotion evidence).
    struct Promotion: Encodable, Sendable {
        var environmentID: String
        var deploymentID: String
        var commit: String
        var deployedAt: String
    }

    /// A deploy through a freeze: why, and which windows.
    struct BreakGlassBody: Encodable, Sendable {
        var reason: String
        var windows: [String]
    }

    /// The pipeline a deployment was planned with (name, file fingerprint, steps).
    struct Pipeline: Encodable, Sendable {
        var name: String
        var fingerprint: String
        var steps: [String]
    }

    var id: String
    var organizationID: String
    var projectID: String
    var environmentID: String
    var version: Int
    var status: String
    var trigger: String
    /// Who asked; null for a push (as in the seed: a webhook is not a user).
    var triggeredBy: Nullable<String>
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var gitMessage: String?
    var extraData: ExtraData
    /// The seed's name for the deployment a rollback goes back to (also `extra_data.rollback_to`).
    var rollbackFromID: Nullable<String>
    /// The ref the executor resolved `git_commit` from (`refs/heads/main`), once it has.
    var resolvedRef: String?
    var pipeline: Pipeline?
    var force: Bool
    var createdAt: String
    var startedAt: String?
    var completedAt: String?
    var durationSeconds: Double?
    var error: String?
    var progressPercent: Int?
    var currentStep: String?
    var steps: [Step]?
    /// The person of record behind the request (a token's user, a push's author), when known.
    var requester: String?
    /// What it waits (or waited) for and who approved it, when its environment's rules held it.
    var approval: ApprovalBody?
    /// The upstream deployment that proves the commit succeeded there first, when a rule asked.
    var promotion: Promotion?
    /// Set when it was requested through a freeze: why, and which windows it passed.
    var breakGlass: BreakGlassBody?
    var position: Int64

    /// The body of `state` as of log `position`, with its progress when given (a single deployment's answer).
    init(_ state: DeploymentState, progress: DeploymentProgress? = nil, position: Int64) {
        id = state.deploymentID
        organizationID = state.organisationID
        projectID = state.projectID
        environmentID = state.environmentID
        version = state.number
        status = state.status.rawValue
        trigger = state.trigger.rawValue
        triggeredBy = Nullable(state.trigger == .gitPush || state.requestedBy.isEmpty ? nil : state.requestedBy)
        gitBranch = state.git.branch
        gitCommit = state.git.commit
        gitTag = state.git.tag
        gitMessage = state.git.message
        extraData = ExtraData(retryOf: state.retryOf, rollbackTo: state.rollbackTo)
        rollbackFromID = Nullable(state.rollbackTo)
        resolvedRef = state.resolvedRef
        pipeline = state.plannedPipeline.map { Pipeline(name: $0.name, fingerprint: $0.fingerprint, steps: $0.steps.map(\.rawValue)) }
        force = state.force
        createdAt = Timestamps.format(state.requestedAtMicroseconds)
        startedAt = state.startedAtMicroseconds.map(Timestamps.format)
        completedAt = state.finishedAtMicroseconds.map(Timestamps.format)
        durationSeconds = state.durationMs.map { Double($0) / 1_000 }
        error = state.error
        requester = state.requester
        approval = state.approval.map { ApprovalBody($0) }
        promotion = state.promotion.map {
            Promotion(environmentID: $0.environmentID, deploymentID: $0.deploymentID, commit: $0.commit, deployedAt: Timestamps.format($0.deployedAtMicroseconds))
        }
        breakGlass = state.breakGlass.map { BreakGlassBody(reason: $0.reason, windows: $0.windows) }
        self.position = position
        if let progress {
            progressPercent = progress.percent
            currentStep = progress.currentStep?.rawValue
            steps = progress.steps.map(Step.init)
        }
    }
}

/// `POST /api/v1/deployments`: what to deploy where.
struct DeployRequest: Decodable, Sendable {
    var environmentID: String
    var projectID: String?
    var gitBranch: String?
    var gitCommit: String?
    var gitTag: String?
    var gitMessage: String?
    var gitAuthor: String?
    var trigger: DeploymentTrigger?
    var force: Bool?
    /// Deploy through a freeze window, for this reason (needs `project.freeze.override`).
    var breakGlassReason: String?

    var git: GitReference { GitReference(branch: gitBranch, commit: gitCommit, tag: gitTag, message: gitMessage, author: gitAuthor) }
}

/// `POST /api/v1/deployments/{id}/cancel`: an optional reason.
struct CancelRequest: Decodable, Sendable {
    var reason: String?
}
