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
            await Self.answering(logger, within: timeout, requestID: context.requestID) {
                let principal = try context.require(.viewQuota)
                let organisation = request.uri.queryParameters.get("organization_id")
                let servers = try await service.servers(organisation: principal.organisation ?? organisation)
                    .filter { principal.sees(organisation: $0.organisationID) && (organisation == nil || $0.organisationID == organisation) }
                return try JSONResponse.encode(servers.map(ServerBody.init), status: .ok)
            }
        }
        api.get("/servers/:id") { _, context in
            await Self.answering(logger, within: timeout, requestID: context.requestID) {
                let principal = try context.require(.viewQuota)
                let id = context.parameters.get("id") ?? ""
                guard let state = try await Self.server(id, service: service), principal.sees(organisation: state.organisationID) else {
                    throw APIError.notFound("no server '\(id)'")
                }
                return try JSONResponse.encode(ServerBody(state), status: .ok)
            }
        }
        api.post("/servers") { request, context in
            await Self.answering(logger, within: timeout, requestID: context.requestID) {
                let principal = try context.require(.manageServers)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(ServerRequest.self, raw, of: request)
                let registration = try await Self.pinned(body, principal: principal, service: service, keyring: keyring)
                try await service.registerServer(registration, context: try await context.commandContext(principal, request, body: raw, keys: keys))
                guard let state = try await service.server(body.id) else { throw APIError.notFound("no server '\(body.id)'") }
                return try JSONResponse.encode(ServerBody(state), status: .created)
            }
        }
        api.delete("/servers/:id") { request, context in
            await Self.answering(logger, within: timeout, requestID: context.requestID) {
                let principal = try context.require(.manageServers)
                let id = context.parameters.get("id") ?? ""
                try await service.removeServer(id, context: try await context.commandContext(principal, request, body: ByteBuffer(string: id), keys: keys))
                guard let state = try await service.server(id) else { throw APIError.notFound("no server '\(id)'") }
                return try JSONResponse.encode(ServerBody(state), status: .ok)
            }
        }
    }

    /// The registration `body` asks for, after the checks that need no host (the organisation
    /// is the caller's, the key is in its keyring, the id is free) and then the host's own: it
    /// presents the expected host key, and the key logs in when this gateway holds the keyring.
    static func pinned(_ body: ServerRequest, principal: Principal, service: DeploymentService, keyring: Keyring?) async throws -> ServerRegistered {
        guard principal.sees(organisation: body.organizationID), (try? DomainIDs.validate(body.organizationID, kind: "organisation")) != nil,
            let organisation = try await service.organisation(body.organizationID)
        else { throw APIError.notFound("no organisation '\(body.organizationID)'") }
        let recorded = try await service.keyring(body.organizationID)
        guard let keyFingerprint = recorded.fingerprints[body.keyID] else {
            throw APIError(
                .unprocessableContent, "unknown_key",
                "no key '\(body.keyID)' in the keyring of \(body.organizationID); an operator adds one on the executors' machine with `ledger keys add`")
        }
        var registration = body.registration(keyFingerprint: keyFingerprint)
        // Every check that needs no host first: nothing is dialled for a request that would be refused anyway.
        _ = try ServerDecisions.register(
            registration, organisation: organisation, existing: try await server(body.id, service: service),
            keyring: recorded)
        let keyFile = try? keyring?.keyFile(for: registration, keyring: recorded)
        do {
            let presented = try await HostKeyPinning.pin(
                host: registration.host, port: registration.port, user: registration.user, expected: [body.hostKeyFingerprint], keyFile: keyFile)
            registration.hostKeyType = presented.type
            registration.hostKeyFingerprint = presented.fingerprint
        } catch let error as SSHError {
            throw APIError(.unprocessableContent, error.code.description, error.message)
        }
        return registration
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
