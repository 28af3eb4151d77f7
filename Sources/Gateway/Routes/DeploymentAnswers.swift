import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore
import Projections

/// How the deployment routes answer: from the gateway's memory of its hottest reads when it
/// still holds (``HotReadCache``), from the projections once they hold every write this gateway
/// answered, and after a write from the deployment's own stream (folded as the projections fold
/// it, so the answer does not wait for them) — keeping each answer for the reads that follow.
struct DeploymentAnswers: Sendable {
    let reader: ProjectionReader
    let store: EventStore
    let service: DeploymentService
    let hotReads: HotReadCache

    /// A kept answer for `key` that this principal may see (a list page's key carries its scope).
    func fromMemory(_ key: HotReadCache.Key, _ context: GatewayContext, _ permission: Permission) -> Response? {
        guard let principal = try? context.require(permission), let answer = hotReads.answer(key) else { return nil }
        if answer.deployment != nil, !principal.sees(organisation: answer.organisation, project: answer.project) { return nil }
        return answer.response()
    }

    /// Encodes an answer of a hot read and keeps it for the next caller.
    func keeping(
        _ key: HotReadCache.Key, _ value: some Encodable & Sendable, position: Int64, of state: DeploymentState?, headers extra: HTTPFields = [:]
    ) throws -> Response {
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        let answer = HotReadCache.Answer(
            body: ByteBuffer(bytes: try APIJSON.encode(value)), headers: headers, position: position,
            deployment: state?.deploymentID, organisation: state?.organisationID, project: state?.projectID)
        hotReads.keep(key, answer)
        return answer.response()
    }

    /// Answers with deployment `id` as its own stream has it after `outcome`'s write, and keeps
    /// that answer for the reads that follow.
    func written(_ id: String?, by outcome: DeploymentService.Outcome, status: HTTPResponse.Status) async throws -> Response {
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
            .deployment(id), DeploymentBody(view.state, progress: view.progress, position: view.position), position: view.position, of: view.state)
        response.status = status
        return response
    }

    /// Waits, when a write answered through this gateway lies past `position`, until the
    /// projections hold it; true if it waited (the caller reads again).
    func caughtUpWithWrites(from position: Int64) async throws -> Bool {
        let lastWrite = hotReads.lastWrite
        guard position < lastWrite else { return false }
        try await reader.awaitPosition(lastWrite, of: ["deployments", "progress"], store: store)
        return true
    }

    /// The deployment `id`, with its progress, if this principal may see it (404 otherwise, as if it did not exist).
    func visible(_ id: String, to principal: Principal) async throws -> DeploymentView {
        var view = try await reader.deploymentView(id)
        if try await caughtUpWithWrites(from: view?.position ?? 0) { view = try await reader.deploymentView(id) }
        guard let view, principal.sees(organisation: view.state.organisationID, project: view.state.projectID) else {
            throw APIError.notFound("no deployment '\(id)'")
        }
        return view
    }
}
