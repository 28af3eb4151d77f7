/// What registering a server checks on the host itself, for every face that registers one
/// (`ledger servers add`, `POST /api/v1/servers`): the host presents one of the expected host
/// keys, and — when the key file is at hand — the user can log in with the keyring's key.
public enum HostKeyPinning {
    /// The host key `host:port` presents, after checking it is one of `expected`; with a
    /// `keyFile`, also logs in once as `user` (and out again).
    public static func pin(host: String, port: Int, user: String, expected: Set<String>, keyFile: String?, timeout: Duration = .seconds(10)) async throws -> HostKey {
        let presented = try await SSHConnection.hostKey(host: host, port: port, timeout: timeout)
        guard expected.contains(presented.fingerprint) else {
            throw SSHError(
                .hostKeyMismatch,
                "\(host):\(port) presents \(presented.fingerprint) (\(presented.type)), not the expected "
                    + "\(expected.sorted().joined(separator: " or ")): not registered")
        }
        if let keyFile {
            let login = try await SSHConnection.connect(SSHTarget(
                host: host, port: port, user: user, privateKeyPath: keyFile, hostKeyFingerprint: presented.fingerprint, connectTimeout: timeout))
            await login.close()
        }
        return presented
    }
}
