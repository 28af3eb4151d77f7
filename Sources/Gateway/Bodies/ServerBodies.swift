import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain

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
