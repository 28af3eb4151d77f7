import CSSH2
import Dispatch
import Foundation
import Glibc

/// One authenticated SSH connection (libssh2), reused for every step of a deployment.
///
/// libssh2 sessions are not thread-safe, so every call on the session happens on the
/// connection's own serial queue; libssh2 runs non-blocking and each wait is a `poll` with a
/// deadline, so nothing in here can wait for ever.
public final class SSHConnection: CommandRunner, @unchecked Sendable {
    let target: SSHTarget
    let queue: DispatchQueue
    let socket: Int32
    let session: OpaquePointer
    private var closed = false

    private init(target: SSHTarget, socket: Int32, session: OpaquePointer, queue: DispatchQueue) {
        self.target = target
        self.socket = socket
        self.session = session
        self.queue = queue
    }

    /// Connects, checks the host key against the pinned fingerprint (before anything is sent
    /// but the handshake) and authenticates with the key file.
    public static func connect(_ target: SSHTarget) async throws -> SSHConnection {
        try PrivateKeyFile.requireOwnerOnly(target.privateKeyPath)
        let queue = DispatchQueue(label: "ledger.ssh.\(target.host)")
        return try await onQueue(queue) {
            let deadline = ContinuousClock.now + target.connectTimeout
            let (socket, session, hostKey) = try handshake(host: target.host, port: target.port, deadline: deadline)
            let connection = SSHConnection(target: target, socket: socket, session: session, queue: queue)
            guard hostKey.fingerprint == target.hostKeyFingerprint else {
                connection.shutDown()
                throw SSHError(
                    .hostKeyMismatch,
                    "the host key of \(target.host):\(target.port) is \(hostKey.fingerprint) (\(hostKey.type)), not the "
                        + "\(target.hostKeyFingerprint) pinned for it: refusing to connect, nothing was run. If the host was "
                        + "re-keyed on purpose, register the server again with its new fingerprint.")
            }
            do {
                try connection.authenticate(deadline: deadline)
            } catch {
                connection.shutDown()
                throw error
            }
            libssh2_keepalive_config(session, 0, UInt32(max(1, target.keepaliveInterval.components.seconds)))
            return connection
        }
    }

    /// The key a host presents, read from its handshake alone: what an operator confirms when
    /// registering a server.
    public static func hostKey(host: String, port: Int, timeout: Duration = .seconds(10)) async throws -> HostKey {
        try await onQueue(DispatchQueue(label: "ledger.ssh.probe")) {
            let (socket, session, key) = try handshake(host: host, port: port, deadline: .now + timeout)
            libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "probe", "")
            libssh2_session_free(session)
            Glibc.close(socket)
            return key
        }
    }

    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.shutDown()
                continuation.resume()
            }
        }
    }

    /// Runs a blocking body on `queue`, bridged to async.
    static func onQueue<T: Sendable>(_ queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private static func handshake(host: String, port: Int, deadline: ContinuousClock.Instant) throws -> (Int32, OpaquePointer, HostKey) {
        _ = libraryReady
        let socket = try SSHSocket.connect(host: host, port: port, deadline: deadline)
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            Glibc.close(socket)
            throw SSHError(.protocolFailed, "cannot start an SSH session")
        }
        libssh2_session_set_blocking(session, 0)
        do {
            try retry(session, socket, deadline, "SSH handshake with \(host):\(port)") { libssh2_session_handshake(session, libssh2_socket_t(socket)) }
            var length = 0
            var type: Int32 = 0
            guard libssh2_session_hostkey(session, &length, &type) != nil,
                let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256)
            else { throw SSHError(.protocolFailed, "\(host):\(port) presented no host key") }
            let digest = Data(bytes: hash, count: 32)
            return (socket, session, HostKey(type: HostKey.typeName(type), sha256: digest))
        } catch {
            libssh2_session_free(session)
            Glibc.close(socket)
            throw error
        }
    }

    private func authenticate(deadline: ContinuousClock.Instant) throws {
        let user = target.user
        do {
            try Self.retry(session, socket, deadline, "SSH authentication") {
                libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, target.privateKeyPath, nil)
            }
        } catch let error as SSHError where error.code == .protocolFailed {
            throw SSHError(.authenticationFailed, "\(target.description) refused the key \(target.privateKeyPath): \(lastError())")
        }
    }

    func shutDown() {
        guard !closed else { return }
        closed = true
        libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "done", "")
        libssh2_session_free(session)
        Glibc.close(socket)
    }

    deinit { shutDown() }

    /// libssh2's own description of its last error.
    func lastError() -> String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        libssh2_session_last_error(session, &message, &length, 0)
        return message.map { String(cString: $0) } ?? "unknown error"
    }

    /// Calls a non-blocking libssh2 function until it stops answering EAGAIN, polling the
    /// socket in the directions libssh2 waits for, failing at the deadline.
    static func retry(
        _ session: OpaquePointer, _ socket: Int32, _ deadline: ContinuousClock.Instant, _ what: String, _ call: () -> Int32
    ) throws {
        while true {
            let result = call()
            if result == 0 { return }
            guard result == LIBSSH2_ERROR_EAGAIN else {
                var message: UnsafeMutablePointer<CChar>?
                var length: Int32 = 0
                libssh2_session_last_error(session, &message, &length, 0)
                throw SSHError(.protocolFailed, "\(what) failed: \(message.map { String(cString: $0) } ?? "error \(result)")")
            }
            guard ContinuousClock.now < deadline else { throw SSHError(.protocolFailed, "\(what) timed out") }
            waitForSocket(session, socket, deadline: deadline, atMost: 200)
        }
    }

    /// Polls the socket in the directions libssh2 is blocked on, at most `atMost` milliseconds.
    static func waitForSocket(_ session: OpaquePointer, _ socket: Int32, deadline: ContinuousClock.Instant, atMost: Int32) {
        let directions = libssh2_session_block_directions(session)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        _ = poll(&descriptor, 1, min(atMost, SSHSocket.milliseconds(until: deadline)))
    }

    private static let libraryReady: Void = { _ = libssh2_init(0) }()
}

/// A host's public key as its SSH fingerprint.
public struct HostKey: Sendable, Equatable {
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
    public var type: String
    /// `SHA256:` and the unpadded base64 of the key's SHA-256, exactly as `ssh-keygen -l` shows it.
    public var fingerprint: String

    public init(type: String, sha256: Data) {
        self.type = type
        self.fingerprint = HostKey.fingerprint(sha256: sha256)
    }

    public static func fingerprint(sha256: Data) -> String {
        "SHA256:" + sha256.base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func typeName(_ type: Int32) -> String {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: "ssh-rsa"
        case LIBSSH2_HOSTKEY_TYPE_DSS: "ssh-dss"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: "ecdsa-sha2-nistp256"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: "ecdsa-sha2-nistp384"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: "ecdsa-sha2-nistp521"
        case LIBSSH2_HOSTKEY_TYPE_ED25519: "ssh-ed25519"
        default: "unknown"
        }
    }
}
