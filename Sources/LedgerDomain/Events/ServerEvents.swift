import Ledger

/// A server was registered to deploy to: where it is, who logs in, which key of its
/// organisation's keyring (by id and public fingerprint — never the key, never a file path), the
/// host key pinned for it and its capacity.
public struct ServerRegistered: LedgerEvent, Equatable {
    public static let eventType = "ServerRegistered"
    public var serverID: String
    public var organisationID: String
    public var host: String
    public var port: Int
    public var user: String
    /// The key of the organisation's keyring that workers log in with.
    public var keyID: String?
    /// A file path on the workers' machines, as servers named their key before keyrings. Kept
    /// so that old history still reads, but never used: a path is not bound to an organisation,
    /// so an executor refuses such a server until it is registered again with a key id.
    public var keyPath: String?
    /// `SHA256:…` of the key's public half, as the keyring recorded it.
    public var keyFingerprint: String
    /// `ssh-ed25519`, …
    public var hostKeyType: String
    /// `SHA256:…` of the host key, pinned: a host showing another key is refused.
    public var hostKeyFingerprint: String
    public var capacity: Resources

    public init(
        serverID: String, organisationID: String, host: String, port: Int, user: String, keyID: String, keyFingerprint: String,
        hostKeyType: String, hostKeyFingerprint: String, capacity: Resources
    ) {
        self.serverID = serverID
        self.organisationID = organisationID
        self.host = host
        self.port = port
        self.user = user
        self.keyID = keyID
        self.keyPath = nil
        self.keyFingerprint = keyFingerprint
        self.hostKeyType = hostKeyType
        self.hostKeyFingerprint = hostKeyFingerprint
        self.capacity = capacity
    }
}

/// A server was removed; environments can no longer be configured with it.
public struct ServerRemoved: LedgerEvent, Equatable {
    public static let eventType = "ServerRemoved"
    public var serverID: String
    public init(serverID: String) { self.serverID = serverID }
}

/// What one environment is allocated on a server changed (`.zero`: it left the server or was
/// destroyed). Written at the server stream's version the capacity check saw, so two
/// environments cannot both squeeze into the last free capacity.
public struct ServerAllocationChanged: LedgerEvent, Equatable {
    public static let eventType = "ServerAllocationChanged"
    public var serverID: String
    public var environmentID: String
    public var resources: Resources
    public init(serverID: String, environmentID: String, resources: Resources) {
        self.serverID = serverID
        self.environmentID = environmentID
        self.resources = resources
    }
}

/// An operator broke an environment's deploy lock on a server by hand (`ledger servers unlock`):
/// who (in the metadata), which lock and what it said, and why.
public struct DeployLockBroken: LedgerEvent, Equatable {
    public static let eventType = "DeployLockBroken"
    public var serverID: String
    public var environmentID: String
    public var deployPath: String
    /// The lock's own record (owner, deployment, expiry) as found on the host.
    public var lock: String
    public var reason: String

    public init(serverID: String, environmentID: String, deployPath: String, lock: String, reason: String) {
        self.serverID = serverID
        self.environmentID = environmentID
        self.deployPath = deployPath
        self.lock = lock
        self.reason = reason
    }
}
