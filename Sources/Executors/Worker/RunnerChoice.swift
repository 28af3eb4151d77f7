import Ledger

/// How a worker reaches a deployment's host: over SSH to the registered server its
/// environment names, or — for development, when the worker is given a local directory — as
/// local processes in that directory for environments that name no server.
public enum RunnerChoice {
    public static func factory(service: DeploymentService, localDirectory: String?, connectTimeout: Duration = .seconds(10)) -> RunnerFactory {
        { deployment in
            if let name = deployment.configuration.server {
                guard let server = try await service.server(name), !server.removed else {
                    throw SSHError(.noServer, "server \(name) is not registered (any more); nothing was run")
                }
                let registration = server.registration
                return try await SSHConnection.connect(SSHTarget(
                    host: registration.host, port: registration.port, user: registration.user, privateKeyPath: registration.keyPath,
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
