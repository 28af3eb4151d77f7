import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore
import Projections

/// `POST /api/v1/webhooks/github` and `/gitlab`: git pushes that deploy. No API token: a
/// delivery proves itself with the project's webhook secret (GitHub's HMAC-SHA256 signature of
/// the raw body, GitLab's token header), checked before anything is read from the payload or
/// written. A push to a branch deploys every environment of the project that auto-deploys that
/// branch (trigger `git_push`, no person as `triggered_by`, the commit's message and author),
/// and its changed files choose a fast or a full deploy. A delivery sent again is answered as
/// the first time and starts nothing.
struct WebhookController: Sendable {
    static let maximumWebhookBytes = 5 << 20

    let service: DeploymentService
    let secrets: WebhookSecrets
    let reader: ProjectionReader
    let limiter: RateLimiter
    let hotReads: HotReadCache

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.post("/github", use: github)
        routes.post("/gitlab", use: gitlab)
        return routes
    }

    /// `POST /webhooks/github`.
    @Sendable func github(_ request: Request, context: GatewayContext) async throws -> Response {
        try await receiver(.github).receive(request, requestID: context.requestID)
    }

    /// `POST /webhooks/gitlab`.
    @Sendable func gitlab(_ request: Request, context: GatewayContext) async throws -> Response {
        try await receiver(.gitlab).receive(request, requestID: context.requestID)
    }

    private func receiver(_ provider: WebhookProvider) -> WebhookReceiver {
        WebhookReceiver(provider: provider, service: service, secrets: secrets, reader: reader, limiter: limiter, hotReads: hotReads)
    }
}

/// The git host a webhook comes from, and the headers it uses.
enum WebhookProvider: String, Sendable {
    case github, gitlab

    var eventHeader: String { self == .github ? "X-GitHub-Event" : "X-Gitlab-Event" }
    var deliveryHeader: String { self == .github ? "X-GitHub-Delivery" : "X-Gitlab-Event-UUID" }
    var isPush: (String) -> Bool { self == .github ? { $0 == "push" } : { $0 == "Push Hook" } }
    var isPing: (String) -> Bool { self == .github ? { $0 == "ping" } : { _ in false } }
}

