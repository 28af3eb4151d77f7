import Ledger

/// Organisations' keyrings: which SSH keys (by id and public fingerprint) their servers may
/// log in with. The key files themselves are put in place by an operator on the executors'
/// machines (`ledger keys add`); the log only records that they exist.
extension DeploymentService {
    @discardableResult
    public func registerKey(_ key: SSHKeyRegistered, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            try context.requireInScope(organisation: key.organisationID, project: nil, what: "organisation")
            try DomainIDs.validate(key.organisationID, kind: "organisation")
            return Decided(
                try KeyringDecisions.register(key, organisation: try await organisation(key.organisationID), keyring: try await keyring(key.organisationID)),
                organisation: key.organisationID, project: nil)
        }
    }

    @discardableResult
    public func removeKey(_ keyID: String, organisation id: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            try context.requireInScope(organisation: id, project: nil, what: "organisation")
            return Decided(
                try KeyringDecisions.remove(keyID, keyring: try await keyring(id), servers: try await servers(organisation: id)),
                organisation: id, project: nil)
        }
    }

    /// The organisation's keyring as its stream says (empty for an organisation with none).
    public func keyring(_ organisation: String) async throws -> KeyringState {
        try DomainIDs.validate(organisation, kind: "organisation")
        return KeyringState.fold(try await records(of: DomainIDs.keyringStream(organisation)), organisation: organisation)
    }
}
