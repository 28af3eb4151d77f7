import Executors
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore

/// Servers: register, list, get, remove. A server logs in with a key of its own organisation's
/// keyring, named by id (no caller names a file); registration checks on the host itself that it
/// presents the host key fingerprint the caller expects (and, when this gateway holds the
/// keyring, that the key logs in), then pins it — as `ledger servers add` does, through the same
/// checks in Executors. A server of another organisation is not found.
struct ServerController: Sendable {
    let service: DeploymentService
    let keys: IdempotencyKeys
    let keyring: Keyring?

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/servers", use: list)
        routes.post("/servers", use: register)
        routes.get("/servers/:id", use: show)
        routes.delete("/servers/:id", use: remove)
        return routes
    }

    /// `GET /servers?organization_id=`.
    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewQuota)
        let organisation = request.uri.queryParameters.get("organization_id")
        let servers = try await service.servers(organisation: principal.organisation ?? organisation)
            .filter { principal.sees(organisation: $0.organisationID) && (organisation == nil || $0.organisationID == organisation) }
        return try JSONResponse.encode(servers.map(ServerBody.init), status: .ok)
    }

    /// `GET /servers/{id}`.
    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewQuota)
        let id = try context.parameters.require("id")
        guard let state = try await server(id), principal.sees(organisation: state.organisationID) else { throw APIError.notFound("no server '\(id)'") }
        return try JSONResponse.encode(ServerBody(state), status: .ok)
    }

    /// `POST /servers`: probed, checked and pinned before anything is recorded.
    @Sendable func register(_ request: Request, context: GatewayContext) async throws -> Response {
        let write = try await context.write(.manageServers, request, body: ServerRequest.self, keys: keys)
        let body = write.body
        try await service.registerServer(
            pinning: body.registration(keyFingerprint: ""), expectedHostKeys: [body.hostKeyFingerprint], login: .whenHeld(keyring), context: write.context)
        guard let state = try await service.server(body.id) else { throw APIError.notFound("no server '\(body.id)'") }
        return try JSONResponse.encode(ServerBody(state), status: .created)
    }

    /// `DELETE /servers/{id}`: kept in the record as removed.
    @Sendable func remove(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageServers)
        let id = try context.parameters.require("id")
        try await service.removeServer(id, context: try await context.commandContext(principal, request, body: ByteBuffer(string: id), keys: keys))
        guard let state = try await service.server(id) else { throw APIError.notFound("no server '\(id)'") }
        return try JSONResponse.encode(ServerBody(state), status: .ok)
    }

    /// A server by id; an id that cannot be one is simply not found.
    private func server(_ id: String) async throws -> ServerState? {
        do { return try await service.server(id) } catch let rejection as CommandRejection where rejection.code == .invalid { return nil }
    }
}
