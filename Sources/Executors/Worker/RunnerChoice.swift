import Ledger
import LedgerDomain

/// How a worker reaches a deployment's host: over SSH to the registered server its
/// environment names, or — for development, when the worker is given a local directory — as
/// local processes in that directory for environments that name no server.
public enum RunnerChoice {
    /// SSH logins use the server's key from `keyring`, checked against its organisation's
    /// keyring before every connection (``Keyring/keyFile(for:keyring:)``).
    public static func factory(service: DeploymentService, keyring: Keyring, localDirectory: String?, connectTimeout: Duration = .seconds(10)) -> RunnerFactory {
        { deployment in
            if let name = deployment.configuration.server {
                guard let server = try await service.server(name), !server.removed else {
                    throw SSHError(.noServer, "server \(name) is not registered (any more); nothing was run")
                }
                let registration = server.registration
                guard registration.organisationID == deployment.organisationID else {
                    throw SSHError(.noServer, "server \(name) belongs to another organisation; nothing was run")
                }
                let keyFile = try keyring.keyFile(for: registration, keyring: try await service.keyring(registration.organisationID))
                return try await SSHConnection.connect(SSHTarget(
                    host: registration.host, port: registration.port, user: registration.user, privateKeyPath: keyFile,
                    hostKeyFingerprint: registration.hostKeyFingerprint, connectTimeout: connectTimeout))
            }
            guard let localDirectory else {
                throw SSHError(
                    .noServer,
                    "environment \(deployment.environmentID) names no server: register one with `ledger servers add` and configure the "
                        + "environment with --server (or run the worker with --local DIR for development); nothing was run")
            }
            return LocalRunner(workingDirectory: localDirectory)
        }
    }
}
