import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Projections

/// The deployment endpoints of the seed platform's API: list, get, progress, deploy, retry,
/// roll back, cancel, destroy. Every write goes through `DeploymentService` with the token's
/// context (scope, request id, idempotency key) and answers with what it wrote, read back
/// through the projections once they reached the write's position.
extension GatewayServer {
    func addDeploymentRoutes(to api: RouterGroup<GatewayContext>) {
        let reader = reader, store = store, logger = logger, timeout = requestTimeout
        let service = DeploymentService(store: store, source: "api")
        let keys = IdempotencyKeys(client: reader.client, logger: logger)
        let limiter = live.limiter
        let hotReads = live.feed.hotReads

        /// A kept answer for `key` that this principal may see (a list page's key carries its scope).
        @Sendable func fromMemory(_ key: HotReadCache.Key, _ context: GatewayContext, _ permission: Permission) -> Response? {
            guard let principal = try? context.require(permission), let answer = hotReads.answer(key) else { return nil }
            if answer.deployment != nil, !principal.sees(organisation: answer.organisation, project: answer.project) { return nil }
            return answer.response()
        }

        /// Encodes an answer of a hot read and keeps it for the next caller.
        @Sendable func keeping(
            _ key: HotReadCache.Key, _ value: some Encodable & Sendable, position: Int64, of state: DeploymentState?, headers extra: HTTPFields = [:]
        ) throws -> Response {
            var headers = extra
            headers[.contentType] = "application/json; charset=utf-8"
            let answer = HotReadCache.Answer(
                body: ByteBuffer(bytes: try LedgerJSON.encode(value)), headers: headers, position: position,
                deployment: state?.deploymentID, organisation: state?.organisationID, project: state?.projectID)
            hotReads.keep(key, answer)
            return answer.response()
        }

        /// Answers with deployment `id` as its own stream has it after `outcome`'s write
        /// (folded as the projections fold it, so the answer does not wait for them), and keeps
        /// that answer for the reads that follow.
        @Sendable func written(
            _ id: String?, by outcome: DeploymentService.Outcome, status: HTTPResponse.Status
        ) async throws -> Response {
            let position = outcome.position
            guard let id else { throw APIError.notFound("nothing was deployed") }
            // The caller may read its write next: answers kept from before it are dropped, and
            // reads of the projections wait until they hold it.
            if let position { hotReads.noteWrite(at: position) }
            // A new deployment's stream is what the command just wrote: no need to read it back.
            let stream = DomainIDs.deploymentStream(id)
            let records: [DomainRecord]
            if let begun = outcome.records(ofStreamBegun: stream) { records = begun } else { records = try await service.records(of: stream) }
            guard let last = records.last, let view = DeploymentView.folding(records, through: max(position ?? 0, last.position)) else {
                throw APIError.notFound("no deployment '\(id)'")
            }
            var response = try keeping(
                .deployment(id), DeploymentBody(view.state, progress: view.progress, position: view.position), position: view.position,
                of: view.state)
            response.status = status
            return response
        }

        /// Waits, when a write answered through this gateway lies past `position`, until the
        /// projections hold it; true if it waited (the caller reads again).
        @Sendable func caughtUpWithWrites(from position: Int64) async throws -> Bool {
            let lastWrite = hotReads.lastWrite
            guard position < lastWrite else { return false }
            try await reader.awaitPosition(lastWrite, of: ["deployments", "progress"], store: store)
            return true
        }

        /// The deployment `id`, with its progress, if this principal may see it (404 otherwise, as if it did not exist).
        @Sendable func visible(_ id: String, to principal: Principal) async throws -> DeploymentView {
            var view = try await reader.deploymentView(id)
            if try await caughtUpWithWrites(from: view?.position ?? 0) { view = try await reader.deploymentView(id) }
            guard let view, principal.sees(organisation: view.state.organisationID, project: view.state.projectID) else {
                throw APIError.notFound("no deployment '\(id)'")
            }
            return view
        }

        api.get("/deployments") { request, context in
            let scope = "\(context.principal?.organisation ?? "*")|\(context.principal?.project ?? "*")|\(request.uri.query ?? "")"
            if let kept = fromMemory(.list(scope), context, .listDeployments) { return kept }
            return await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                var filter = try DeploymentListQuery(request.uri.queryParameters).filter
                filter.organisation = principal.organisation ?? filter.organisation
                if let only = principal.project {
                    if let asked = filter.project, asked != only { return try JSONResponse.encode([DeploymentBody](), status: .ok) }
                    filter.project = only
                }
                var position = try await reader.position(of: "deployments")
                if try await caughtUpWithWrites(from: position) { position = try await reader.position(of: "deployments") }
                let states = try await reader.deployments(filter)
                // A full page may have a next one: its cursor (keyset paging) and the total travel
                // in headers, so the body keeps the seed's shape (a plain array).
                var headers = HTTPFields()
                if states.count == filter.limit, let last = states.last {
                    headers[.xNextCursor] = ListCursor.make("deployments", position: last.requestedPosition)
                }
                // A first page that is not full is the whole list: its total needs no count.
                let whole = filter.skip == 0 && filter.beforePosition == nil && states.count < filter.limit
                if let total = whole ? states.count : try await reader.deploymentCount(filter, upTo: DeploymentListQuery.countedTotal) {
                    headers[.xTotalCount] = String(total)
                }
                return try keeping(.list(scope), states.map { DeploymentBody($0, position: position) }, position: position, of: nil, headers: headers)
            }
        }
        api.get("/deployments/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            if let kept = fromMemory(.deployment(id), context, .viewDeployments) { return kept }
            return await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let view = try await visible(id, to: principal)
                return try keeping(
                    .deployment(id), DeploymentBody(view.state, progress: view.progress, position: view.position), position: view.position,
                    of: view.state)
            }
        }
        api.get("/deployments/:id/progress") { _, context in
            let id = context.parameters.get("id") ?? ""
            if let kept = fromMemory(.progress(id), context, .viewDeployments) { return kept }
            return await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let view = try await visible(id, to: principal)
                guard let progress = view.progress else { throw APIError.notFound("no progress yet") }
                return try keeping(.progress(id), ProgressBody(progress, position: view.position), position: view.position, of: view.state)
            }
        }
        api.post("/deployments") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.deploy)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(DeployRequest.self, raw, of: request)
                // Checked only where the token may see the environment: elsewhere the service
                // answers "not found", and this must not tell otherwise.
                if let project = body.projectID, let environment = try await service.environment(body.environmentID),
                    principal.sees(organisation: environment.organisationID, project: environment.projectID), environment.projectID != project
                {
                    throw APIError(.unprocessableContent, "invalid", "environment_id \(body.environmentID) is not in project_id \(project)")
                }
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.deploy(
                    environment: body.environmentID, git: body.git, trigger: body.trigger ?? .manual, force: body.force ?? false,
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try await written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
            }
        }
        api.post("/environments/:id/deploy") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.deploy)
                let raw = try await RequestBody.read(request)
                var body = try RequestBody.decode(EnvironmentDeployRequest.self, raw, of: request, allowEmpty: true)
                let id = context.parameters.get("id") ?? ""
                if !body.git.namesSomething {
                    // The environment's own branch — so without one, it must exist to be deployed.
                    guard let environment = try await service.environment(id), principal.sees(organisation: environment.organisationID, project: environment.projectID)
                    else { throw APIError.notFound("no environment '\(id)'") }
                    body.gitBranch = environment.configuration?.branch
                }
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.deploy(
                    environment: id, git: body.git, trigger: .manual, force: body.force ?? false,
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try await written(outcome.deploymentID, by: outcome, status: outcome.replayed ? .ok : .created)
            }
        }
        // Retry and rollback answer 200 with the new deployment, as the seed does.
        api.post("/deployments/:id/retry") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.deploy)
                let raw = try await RequestBody.read(request)
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.retry(
                    context.parameters.get("id") ?? "", context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try await written(outcome.deploymentID, by: outcome, status: .ok)
            }
        }
        api.post("/deployments/:id/rollback") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.deploy)
                let raw = try await RequestBody.read(request)
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.rollback(
                    to: context.parameters.get("id") ?? "", context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try await written(outcome.deploymentID, by: outcome, status: .ok)
            }
        }
        api.post("/deployments/:id/cancel") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.cancelDeployments)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(CancelRequest.self, raw, of: request, allowEmpty: true)
                let id = context.parameters.get("id") ?? ""
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.cancel(
                    id, reason: body.reason, context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try await written(id, by: outcome, status: .ok)
            }
        }
        api.delete("/deployments/environment/:id/destroy") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.deploy)
                let deleteData = try BooleanQuery.value(request.uri.queryParameters["delete_data"], name: "delete_data") ?? false
                try await limiter.admit(.deployments, organisation: principal.organisation)
                let outcome = try await service.destroy(
                    environment: context.parameters.get("id") ?? "", deleteData: deleteData,
                    context: try await context.commandContext(principal, request, body: ByteBuffer(string: request.uri.description), keys: keys))
                return try await written(outcome.deploymentID, by: outcome, status: .ok)
            }
        }
    }
}

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
