/// Where and how to reach a host over SSH: address, user, the private key's path (never its
/// contents) and the host key fingerprint pinned for it.
public struct SSHTarget: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    /// Path of the private key file, which must be readable by its owner only.
    public var privateKeyPath: String
    /// `SHA256:…` as OpenSSH prints it; a host showing another key is refused.
    public var hostKeyFingerprint: String
    public var connectTimeout: Duration
    /// How often a keepalive is sent on an idle connection.
    public var keepaliveInterval: Duration

    public init(
        host: String, port: Int = 22, user: String, privateKeyPath: String, hostKeyFingerprint: String,
        connectTimeout: Duration = .seconds(10), keepaliveInterval: Duration = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.privateKeyPath = privateKeyPath
        self.hostKeyFingerprint = hostKeyFingerprint
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
    }

    /// `user@host:port` for messages and log metadata.
    public var description: String { "\(user)@\(host):\(port)" }
}
