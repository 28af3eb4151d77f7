import Ledger
import LedgerDomain

/// Adding and removing keys for real: the key file goes into (or out of) the keyring directory
/// on this machine and the change is recorded, in that order for adding (a recorded key whose
/// file is missing would fail every deploy) and the reverse for removing.
extension DeploymentService {
    /// Copies the private key at `file` into `keyring` as `keyID` of `organisation` and records it.
    @discardableResult
    public func addKey(_ keyID: String, organisation: String, file: String, keyring: Keyring, context: CommandContext) async throws -> SSHKeyRegistered {
        try context.requireInScope(organisation: organisation, project: nil, what: "organisation")
        guard try await self.organisation(organisation) != nil else { throw CommandRejection(.notFound, "no such organisation") }
        guard try await self.keyring(organisation).fingerprints[keyID] == nil else {
            throw CommandRejection(.alreadyExists, "key \(keyID) is already in the keyring of \(organisation)")
        }
        let fingerprint = try keyring.install(from: file, organisation: organisation, keyID: keyID)
        let key = SSHKeyRegistered(keyID: keyID, organisationID: organisation, fingerprint: fingerprint)
        do {
            try await registerKey(key, context: context)
        } catch {
            try? keyring.uninstall(organisation: organisation, keyID: keyID)
            throw error
        }
        return key
    }

    /// Records that `keyID` left the organisation's keyring, then deletes its file.
    public func deleteKey(_ keyID: String, organisation: String, keyring: Keyring, context: CommandContext) async throws {
        try await removeKey(keyID, organisation: organisation, context: context)
        try keyring.uninstall(organisation: organisation, keyID: keyID)
    }
}
