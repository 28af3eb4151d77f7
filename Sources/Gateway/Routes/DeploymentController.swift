import HTTPTypes
import Hummingbird
import Ledger
import LedgerClient
import LedgerDomain
import LedgerAccess
import NIOCore
import Projections

/// The deployment endpoints of the seed platform's API: list, get, progress, logs and history
/// here; deploy, retry, roll back, cancel and destroy in `DeploymentController+Commands.swift`.
/// Every write goes through `DeploymentService` with the token's context (scope, request id,
/// idempotency key) and answers with what it wrote (``DeploymentAnswers``).
struct DeploymentController: Sendable {
    let reader: ProjectionReader
    let service: DeploymentService
    let answers: DeploymentAnswers
    let keys: IdempotencyKeys
    let limiter: RateLimiter

    init(reader: ProjectionReader, store: EventStore, keys: IdempotencyKeys, live: GatewayLive) {
        self.reader = reader
        service = DeploymentService(store: store, source: "api")
        answers = DeploymentAnswers(reader: reader, store: store, service: service, hotReads: live.feed.hotReads)
        self.keys = keys
        limiter = live.limiter
    }

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/deployments", use: list)
        routes.get("/deployments/:id", use: show)
        routes.get("/deployments/:id/progress", use: progress)
        routes.get("/deployments/:id/logs", use: logs)
        routes.get("/deployments/:id/history", use: history)
        routes.post("/deployments", use: deploy)
        routes.post("/environments/:id/deploy", use: deployEnvironment)
        // Retry and rollback answer 200 with the new deployment, as the seed does.
        routes.post("/deployments/:id/retry", use: retry)
        routes.post("/deployments/:id/rollback", use: rollback)
        routes.post("/deployments/:id/cancel", use: cancel)
        routes.post("/deployments/:id/approve", use: approve)
        routes.post("/deployments/:id/reject", use: reject)
        routes.delete("/deployments/environment/:id/destroy", use: destroy)
        return routes
    }

    /// `GET /deployments`: a page of the caller's deployments, filtered; the next page's cursor
    /// (keyset paging) and the total travel in headers, so the body keeps the seed's shape.
    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let scope = "\(context.principal?.organisation ?? "*")|\(context.principal?.project ?? "*")|\(request.uri.query ?? "")"
        if let kept = answers.fromMemory(.list(scope), context, .listDeployments) { return kept }
        let principal = try context.require(.listDeployments)
        var filter = try DeploymentListQuery(request.uri.queryParameters).filter
        filter.organisation = principal.organisation ?? filter.organisation
        if let only = principal.project {
            if let asked = filter.project, asked != only { return try JSONResponse.encode([DeploymentBody](), status: .ok) }
            filter.project = only
        }
        var position = try await reader.position(of: "deployments")
        if try await answers.caughtUpWithWrites(from: position) { position = try await reader.position(of: "deployments") }
        let states = try await reader.deployments(filter)
        var headers = HTTPFields()
        if states.count == filter.limit, let last = states.last {
            headers[.xNextCursor] = ListCursor.make("deployments", position: last.requestedPosition)
        }
        // A first page that is not full is the whole list: its total needs no count.
        let whole = filter.skip == 0 && filter.beforePosition == nil && states.count < filter.limit
        if let total = whole ? states.count : try await reader.deploymentCount(filter, upTo: DeploymentListQuery.countedTotal) {
            headers[.xTotalCount] = String(total)
        }
        return try answers.keeping(.list(scope), states.map { DeploymentBody($0, position: position) }, position: position, of: nil, headers: headers)
    }

    /// `GET /deployments/{id}`.
    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        if let kept = answers.fromMemory(.deployment(id), context, .viewDeployments) { return kept }
        let view = try await answers.visible(id, to: try context.require(.viewDeployments))
        return try answers.keeping(
            .deployment(id), DeploymentBody(view.state, progress: view.progress, position: view.position), position: view.position, of: view.state)
    }

    /// `GET /deployments/{id}/progress`: "step 5 of 14", the percentage, the current step.
    @Sendable func progress(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try context.parameters.require("id")
        if let kept = answers.fromMemory(.progress(id), context, .viewDeployments) { return kept }
        let view = try await answers.visible(id, to: try context.require(.viewDeployments))
        guard let progress = view.progress else { throw APIError.notFound("no progress yet") }
        return try answers.keeping(.progress(id), ProgressBody(progress, position: view.position), position: view.position, of: view.state)
    }

    /// `GET /deployments/{id}/logs`: a page of its log lines, by level and step.
    @Sendable func logs(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewDeployments)
        let query = try LogsQuery(request.uri.queryParameters)
        let id = try context.parameters.require("id")
        // What this token may not see is answered as not there at all.
        guard let deployment = try await reader.deployment(id), principal.sees(organisation: deployment.organisationID, project: deployment.projectID)
        else { throw APIError.notFound("no deployment '\(id)'") }
        let entries = try await reader.logs(deployment: id, level: query.level, step: query.step, skip: query.skip, limit: query.limit)
        let page = LogsPage(deployment: deployment, skip: query.skip, limit: query.limit, entries: entries)
        return try ContentEncoding.jsonResponse(Array(try LedgerJSON.encode(page)), acceptEncoding: request.headers[.acceptEncoding])
    }

    /// `GET /deployments/{id}/history?at=`: the deployment as it was at a past instant or position.
    @Sendable func history(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewDeployments)
        let point = try HistoryQuery.point(request.uri.queryParameters)
        let id = try context.parameters.require("id")
        guard let now = try await service.deployment(id, at: .now),
            principal.sees(organisation: now.state.deployment.organisationID, project: now.state.deployment.projectID)
        else { throw APIError.notFound("no deployment '\(id)'") }
        guard let then = try await service.deployment(id, at: point) else { throw APIError.notFound("deployment '\(id)' did not exist then") }
        let body = HistoryBody(
            asOfPosition: then.position, asOf: Timestamps.format(then.recordedAtMicroseconds),
            state: DeploymentBody(then.state.deployment, progress: then.state.progress, position: then.position))
        return try JSONResponse.encode(body, status: .ok)
    }
}
