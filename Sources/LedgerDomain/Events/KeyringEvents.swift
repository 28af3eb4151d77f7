import Ledger

/// An operator put an SSH private key into an organisation's keyring: the key file lives on the
/// executors' machines under the keyring directory of that organisation (never in the log), and
/// this records its id and the fingerprint of its public half. Servers of the organisation name
/// the key by id; an executor refuses a key file whose fingerprint is not this one.
public struct SSHKeyRegistered: LedgerEvent, Equatable {
    public static let eventType = "SSHKeyRegistered"
    public var keyID: String
    public var organisationID: String
    /// `SHA256:…` of the key's public half.
    public var fingerprint: String

    public init(keyID: String, organisationID: String, fingerprint: String) {
        self.keyID = keyID
        self.organisationID = organisationID
        self.fingerprint = fingerprint
    }
}

/// A key was taken out of an organisation's keyring; servers naming it can no longer be reached.
public struct SSHKeyRemoved: LedgerEvent, Equatable {
    public static let eventType = "SSHKeyRemoved"
    public var keyID: String
    public var organisationID: String

    public init(keyID: String, organisationID: String) {
        self.keyID = keyID
        self.organisationID = organisationID
    }
}
