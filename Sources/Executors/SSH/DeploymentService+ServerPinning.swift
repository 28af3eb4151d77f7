import Ledger
import LedgerDomain

/// Registering a server for real, the one way both faces (`ledger servers add`,
/// `POST /api/v1/servers`) do it: every check that needs no host first — the organisation is
/// the caller's, the key is in its keyring, the id is free, the values are sane — so a refused
/// request dials nothing; then the host's own — it presents one of the expected host keys and,
/// when this machine holds the key, the user logs in with it; then the record, with the host key
/// it presented pinned and the key's fingerprint as the keyring has it.
extension DeploymentService {
    /// Whether registering logs in once with the organisation's key.
    public enum LoginCheck: Sendable {
        /// Logs in; the key file must be in `keyring` (the CLI on the executors' machine).
        case required(Keyring)
        /// Logs in when `keyring` holds the key file, else checks only the host key (a gateway
        /// that may not hold the keyring).
        case whenHeld(Keyring?)
        /// Checks only the host key.
        case skipped
    }

    /// Registers `request` (its key fingerprint and host key are filled here), pinning the host
    /// key the host presents when it is one of `expectedHostKeys`.
    @discardableResult
    public func registerServer(
        pinning request: ServerRegistered, expectedHostKeys: Set<String>, login: LoginCheck, context: CommandContext
    ) async throws -> ServerRegistered {
        let (checked, recorded) = try await checkRegistration(request, expectedHostKeys: expectedHostKeys, context: context)
        var registration = checked
        let keyFile: String? =
            switch login {
            case .required(let keyring): try keyring.keyFile(for: registration, keyring: recorded)
            case .whenHeld(let keyring): try? keyring?.keyFile(for: registration, keyring: recorded)
            case .skipped: nil
            }
        let presented = try await HostKeyPinning.pin(
            host: registration.host, port: registration.port, user: registration.user, expected: expectedHostKeys, keyFile: keyFile)
        registration.hostKeyType = presented.type
        registration.hostKeyFingerprint = presented.fingerprint
        try await registerServer(registration, context: context)
        return registration
    }

    /// The checks that need no host, as registering makes them (nothing is dialled for a request
    /// that would be refused anyway): the registration with the keyring's key fingerprint, and
    /// the keyring.
    public func checkRegistration(
        _ request: ServerRegistered, expectedHostKeys: Set<String>, context: CommandContext
    ) async throws -> (ServerRegistered, KeyringState) {
        try context.requireInScope(organisation: request.organisationID, project: nil, what: "organisation")
        try DomainIDs.validate(request.organisationID, kind: "organisation")
        guard let organisation = try await organisation(request.organisationID) else {
            throw CommandRejection(.notFound, "no organisation '\(request.organisationID)'")
        }
        let recorded = try await keyring(request.organisationID)
        guard let keyID = request.keyID, let keyFingerprint = recorded.fingerprints[keyID] else {
            throw CommandRejection(
                .unknownKey, "no key '\(request.keyID ?? "")' in the keyring of \(request.organisationID): an operator adds it on the executors' machine "
                    + "with `ledger keys add \(request.keyID ?? "ID") --org \(request.organisationID) --file PATH`")
        }
        var registration = request
        registration.keyFingerprint = keyFingerprint
        // Checked as it will be recorded: with an expected host key in place of the one the host will present.
        var probe = registration
        probe.hostKeyType = "unknown"
        probe.hostKeyFingerprint = expectedHostKeys.sorted().first ?? "SHA256:unconfirmed"
        let existing: ServerState? = (try? DomainIDs.validate(request.serverID, kind: "server")) == nil ? nil : try await server(request.serverID)
        _ = try ServerDecisions.register(probe, organisation: organisation, existing: existing, keyring: recorded)
        return (registration, recorded)
    }
}
