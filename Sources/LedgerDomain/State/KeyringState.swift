import Ledger

/// An organisation's SSH keys as its keyring stream tells them: id → public fingerprint, for
/// the keys registered and not removed since.
public struct KeyringState: Sendable, Equatable {
    public var organisationID: String
    public var fingerprints: [String: String]
    public var version: Int64

    public init(organisationID: String, fingerprints: [String: String] = [:], version: Int64 = 0) {
        self.organisationID = organisationID
        self.fingerprints = fingerprints
        self.version = version
    }

    /// The keyring after `records` (an organisation with no stream has an empty keyring).
    public static func fold(_ records: [DomainRecord], organisation: String) -> KeyringState {
        var state = KeyringState(organisationID: organisation)
        for record in records {
            state.version = record.streamVersion
            switch record.event {
            case .sshKeyRegistered(let e) where e.organisationID == organisation: state.fingerprints[e.keyID] = e.fingerprint
            case .sshKeyRemoved(let e) where e.organisationID == organisation: state.fingerprints[e.keyID] = nil
            default: break
            }
        }
        return state
    }
}
