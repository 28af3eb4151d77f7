import Foundation
import Hummingbird
import Ledger
import NIOCore
import Projections

/// Environments, releases, time travel, quota, the audit trail and the integrity check: the read
/// models behind dashboards and auditors, each scoped to what the token may see.
extension GatewayServer {
    func addReadRoutes(to api: RouterGroup<GatewayContext>) {
        let reader = reader, store = store, logger = logger, timeout = requestTimeout
        let service = DeploymentService(store: store, source: "api")

        /// Environment `id` if this principal may see it (404 otherwise, as if it did not exist).
        @Sendable func visibleEnvironment(_ id: String, to principal: Principal) async throws -> EnvironmentState {
            try await reader.awaitPosition(nil, of: ["environments"], store: store)
            guard let state = try await reader.environment(id), principal.sees(organisation: state.organisationID, project: state.projectID) else {
                throw APIError.notFound("no environment '\(id)'")
            }
            return state
        }

        api.get("/environments") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                try await reader.awaitPosition(nil, of: ["environments"], store: store)
                let asked = request.uri.queryParameters["project_id"].map(String.init)
                if let only = principal.project, let asked, asked != only { return try JSONResponse.encode([EnvironmentBody](), status: .ok) }
                let environments = try await reader.environments(organisation: principal.organisation, project: principal.project ?? asked)
                let position = try await reader.position(of: "environments")
                return try JSONResponse.encode(environments.map { EnvironmentBody($0, position: position) }, status: .ok)
            }
        }
        api.get("/environments/:id") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                let state = try await visibleEnvironment(context.parameters.get("id") ?? "", to: principal)
                return try JSONResponse.encode(EnvironmentBody(state, position: try await reader.position(of: "environments")), status: .ok)
            }
        }
        api.get("/environments/:id/releases") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.listDeployments)
                let state = try await visibleEnvironment(context.parameters.get("id") ?? "", to: principal)
                return try JSONResponse.encode(state.releases.reversed().map(ReleaseBody.init), status: .ok)
            }
        }
        api.get("/environments/:id/history") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let point = try HistoryQuery.point(request.uri.queryParameters)
                let id = context.parameters.get("id") ?? ""
                guard let now = try await service.environment(id, at: .now), principal.sees(organisation: now.state.organisationID, project: now.state.projectID)
                else { throw APIError.notFound("no environment '\(id)'") }
                guard let then = try await service.environment(id, at: point) else { throw APIError.notFound("environment '\(id)' did not exist then") }
                let body = HistoryBody(
                    asOfPosition: then.position, asOf: Timestamps.format(then.recordedAtMicroseconds), state: EnvironmentBody(then.state, position: then.position))
                return try JSONResponse.encode(body, status: .ok)
            }
        }
        api.get("/deployments/:id/history") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let point = try HistoryQuery.point(request.uri.queryParameters)
                let id = context.parameters.get("id") ?? ""
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
        api.get("/organizations/:id/quota") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewQuota)
                let id = context.parameters.get("id") ?? ""
                guard principal.sees(organisation: id), try await service.organisation(id) != nil else { throw APIError.notFound("no organization '\(id)'") }
                try await reader.awaitPosition(nil, of: ["quota"], store: store)
                return try JSONResponse.encode(QuotaBody(try await reader.quota(organisation: id), position: try await reader.position(of: "quota")), status: .ok)
            }
        }
        api.get("/audit") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewAudit)
                var query = try AuditQuery(request.uri.queryParameters)
                if let organisation = principal.organisation {
                    if let asked = query.filter.organisation, asked != organisation { throw APIError.notFound("no organization '\(asked)'") }
                    query.filter.organisation = organisation
                }
                try await reader.awaitPosition(nil, of: ["audit"], store: store)
                switch query.format {
                case .json:
                    let page = try await reader.audit(query.filter)
                    let next = page.count == query.filter.limit ? page.last.map { ListCursor.make("audit", position: $0.position) } : nil
                    return try JSONResponse.encode(AuditPageBody(entries: page.map(AuditRow.init), nextCursor: next), status: .ok)
                case .csv, .ndjson:
                    return AuditDownload.response(query, reader: reader)
                }
            }
        }
        api.get("/verify") { _, context in
            // Reads the whole log: bounded by its own pace, not the request deadline.
            do {
                _ = try context.require(.administer)
                let report = try await store.verify()
                return try JSONResponse.encode(VerifyBody(report), status: .ok)
            } catch {
                return Self.errorResponse(error, logger: logger, requestID: context.requestID)
            }
        }
    }
}
