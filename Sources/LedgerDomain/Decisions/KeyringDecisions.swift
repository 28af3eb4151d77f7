import Ledger

/// An organisation's keyring: registering and removing the SSH keys its servers log in with.
public enum KeyringDecisions {
    public static func register(_ key: SSHKeyRegistered, organisation: OrganisationState?, keyring: KeyringState) throws -> Decision {
        try DomainIDs.validate(key.keyID, kind: "key")
        guard organisation != nil else { throw CommandRejection(.notFound, "no such organisation") }
        guard keyring.fingerprints[key.keyID] == nil else {
            throw CommandRejection(.alreadyExists, "key \(key.keyID) is already in the keyring of \(key.organisationID)")
        }
        guard key.fingerprint.hasPrefix("SHA256:"), key.fingerprint.count <= 128 else {
            throw CommandRejection(.invalid, "\(key.fingerprint) is not a SHA256 fingerprint")
        }
        return Decision([.init(DomainIDs.keyringStream(key.organisationID), expectedVersion: .exact(keyring.version), [.sshKeyRegistered(key)])])
    }

    /// Removes a key no server of the organisation names any more (`servers`: its servers).
    public static func remove(_ keyID: String, keyring: KeyringState, servers: [ServerState]) throws -> Decision {
        guard keyring.fingerprints[keyID] != nil else { throw CommandRejection(.notFound, "no such key: \(keyID)") }
        let users = servers.filter { !$0.removed && $0.registration.keyID == keyID }.map(\.serverID)
        guard users.isEmpty else {
            throw CommandRejection(.wrongStatus, "key \(keyID) is still used by \(users.sorted().joined(separator: ", ")); remove those servers first")
        }
        return Decision([.init(DomainIDs.keyringStream(keyring.organisationID), expectedVersion: .exact(keyring.version), [
            .sshKeyRemoved(SSHKeyRemoved(keyID: keyID, organisationID: keyring.organisationID))
        ])])
    }
}
