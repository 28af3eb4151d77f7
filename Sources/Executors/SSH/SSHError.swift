import Ledger

/// Why an SSH connection or command failed. The message names the host and the reason and
/// never a key or secret; ``isTransient`` tells the worker whether trying again may help.
public struct SSHError: CodedError, Sendable, CustomStringConvertible {
    /// The kind of failure; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// No TCP connection (refused, unreachable, timed out).
        public static let connectFailed = Code(name: "ssh_connect_failed")
        /// The host's key is not the one pinned for it: nothing was run.
        public static let hostKeyMismatch = Code(name: "host_key_mismatch")
        /// The server refused the key.
        public static let authenticationFailed = Code(name: "ssh_authentication_failed")
        /// The private key file is missing or readable by others.
        public static let keyFileRefused = Code(name: "ssh_key_file_refused")
        /// The environment names no registered server (and the worker runs nothing locally).
        public static let noServer = Code(name: "ssh_no_server")
        /// The SSH protocol failed mid-way (handshake, channel, lost connection).
        public static let protocolFailed = Code(name: "ssh_failed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Its row in ``ErrorTable``: refusals by the host exit 2, an unreachable host 5.
    public var errorCode: String { code.name }

    /// Connection-level failures may pass; a wrong host key or a refused key will not.
    public var isTransient: Bool { code == .connectFailed || code == .protocolFailed }
}
