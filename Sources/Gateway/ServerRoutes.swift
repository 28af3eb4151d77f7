import Foundation
import HTTPTypes
import Hummingbird
import Executors
import Ledger
import NIOCore
import Projections

/// Servers over the API: register, list, get, remove. A server logs in with a key of its own
/// organisation's keyring, named by id (no caller names a file); registration checks on the host
/// itself that it presents the host key fingerprint the caller expects (and, when this gateway
/// holds the keyring, that the key logs in), then pins it — as `ledger servers add` does. A
/// server of another organisation is not found.
extension GatewayServer {
    func addServerRoutes(to api: RouterGroup<GatewayContext>) {
        let logger = logger, timeout = requestTimeout, reader = reader
        let service = DeploymentService(store: store, source: "api")
        let keys = IdempotencyKeys(client: reader.client, logger: logger)
        let keyring = live.keyring

        api.get("/servers") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewQuota)
                let organisation = request.uri.queryParameters.get("organization_id")
                let servers = try await service.servers(organisation: principal.organisation ?? organisation)
                    .filter { principal.sees(organisation: $0.organisationID) && (organisation == nil || $0.organisationID == organisation) }
                return try JSONResponse.encode(servers.map(ServerBody.init), status: .ok)
            }
        }
        api.get("/servers/:id") { _, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewQuota)
                let id = context.parameters.get("id") ?? ""
                guard let state = try await Self.server(id, service: service), principal.sees(organisation: state.organisationID) else {
                    throw APIError.notFound("no server '\(id)'")
                }
                return try JSONResponse.encode(ServerBody(state), status: .ok)
            }
        }
        api.post("/servers") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageServers)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(ServerRequest.self, raw, of: request)
                // The same checks, in the same order, as `ledger servers add` (Executors): this gateway
                // logs in with the key when it holds the keyring.
                try await service.registerServer(
                    pinning: body.registration(keyFingerprint: ""), expectedHostKeys: [body.hostKeyFingerprint], login: .whenHeld(keyring),
                    context: try await context.commandContext(principal, request, body: raw, keys: keys))
                guard let state = try await service.server(body.id) else { throw APIError.notFound("no server '\(body.id)'") }
                return try JSONResponse.encode(ServerBody(state), status: .created)
            }
        }
        api.delete("/servers/:id") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageServers)
                let id = context.parameters.get("id") ?? ""
                try await service.removeServer(id, context: try await context.commandContext(principal, request, body: ByteBuffer(string: id), keys: keys))
                guard let state = try await service.server(id) else { throw APIError.notFound("no server '\(id)'") }
                return try JSONResponse.encode(ServerBody(state), status: .ok)
            }
        }
    }

    /// A server by id; an id that cannot be one is simply not found.
    static func server(_ id: String, service: DeploymentService) async throws -> ServerState? {
        do { return try await service.server(id) } catch let rejection as CommandRejection where rejection.code == .invalid { return nil }
    }
}

/// `POST /api/v1/servers`.
struct ServerRequest: Decodable, Sendable {
    var id: String
    var organizationID: String
    var host: String
    var port: Int?
    var user: String?
    /// The key of the organisation's keyring the server logs in with.
    var keyID: String
    /// The host key the caller expects the host to present (`SHA256:…`).
    var hostKeyFingerprint: String
    var capacity: ResourcesRequest

    enum CodingKeys: String, CodingKey {
        case id, host, port, user, capacity
        case organizationID = "organization_id"
        case keyID = "key_id"
        case hostKeyFingerprint = "host_key_fingerprint"
    }

    /// The registration before the host is probed (its host key type and fingerprint are
    /// replaced by what the host presents).
    func registration(keyFingerprint: String) -> ServerRegistered {
        ServerRegistered(
            serverID: id, organisationID: organizationID, host: host, port: port ?? 22, user: user ?? "deploy", keyID: keyID,
            keyFingerprint: keyFingerprint, hostKeyType: "unknown", hostKeyFingerprint: hostKeyFingerprint, capacity: capacity.resources)
    }
}

/// A server as the API shows it: never a key, only its id and fingerprint.
struct ServerBody: Encodable, Sendable {
    var id: String
    var organizationID: String
    var host: String
    var port: Int
    var user: String
    var keyID: String?
    var keyFingerprint: String
    var hostKeyType: String
    var hostKeyFingerprint: String
    var capacity: ResourcesBody
    var allocated: ResourcesBody
    var environments: [String]
    var removed: Bool

    enum CodingKeys: String, CodingKey {
        case id, host, port, user, capacity, allocated, environments, removed
        case organizationID = "organization_id"
        case keyID = "key_id"
        case keyFingerprint = "key_fingerprint"
        case hostKeyType = "host_key_type"
        case hostKeyFingerprint = "host_key_fingerprint"
    }

    init(_ state: ServerState) {
        let r = state.registration
        id = r.serverID
        organizationID = r.organisationID
        host = r.host
        port = r.port
        user = r.user
        keyID = r.keyID
        keyFingerprint = r.keyFingerprint
        hostKeyType = r.hostKeyType
        hostKeyFingerprint = r.hostKeyFingerprint
        capacity = ResourcesBody(r.capacity)
        allocated = ResourcesBody(state.used)
        environments = state.allocations.keys.sorted()
        removed = state.removed
    }
}
