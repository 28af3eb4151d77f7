import ChildProcess
import Foundation

/// A real OpenSSH server (Debian's openssh-server) of one test's or benchmark's own on a
/// loopback port: fresh host and user keys under a temporary directory, key authentication
/// only, for the current user. Its `directory` doubles as the deploy target for the caller.
public struct SSHServer: Sendable {
    public let directory: String
    public let port: Int
    /// The user the tests log in as (whoever runs them).
    public let user: String
    /// The client's private key (mode 600).
    public var privateKeyPath: String { directory + "/client_key" }
    /// The host's public key, for known_hosts files and fingerprints.
    public var hostPublicKeyPath: String { directory + "/host_key.pub" }

    /// Generates keys, writes the configuration and starts `sshd`, waiting until it answers.
    /// Another process may take the free port before sshd binds it (tests and the machine's
    /// own connections draw from the same ports): then it starts again on another one.
    /// `port` is where to try first (tests pass a taken one); by default a free one.
    public static func start(port firstPort: Int? = nil) async throws -> SSHServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-sshd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let user = ProcessInfo.processInfo.environment["USER"] ?? currentUser()
        var server = SSHServer(directory: directory, port: try firstPort ?? freePort(), user: user)
        try await server.generateKeys()
        // sshd insists on its privilege-separation directory when started as root.
        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        var attempt = 1
        while true {
            try server.writeConfiguration()
            try? FileManager.default.removeItem(atPath: directory + "/sshd.log")
            let started = try await ShellCommand.run("/usr/sbin/sshd -f \(q(directory + "/sshd_config")) -E \(q(directory + "/sshd.log"))")
            guard started == 0 else { throw SSHServerFailed(message: "sshd did not start; see \(directory)/sshd.log") }
            do {
                try await server.waitUntilListening()
                return server
            } catch let failure as SSHServerFailed where failure.portTaken && attempt < 5 {
                attempt += 1
                server = SSHServer(directory: directory, port: try freePort(), user: user)
            }
        }
    }

    private func writeConfiguration() throws {
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(directory)/host_key
            PidFile \(directory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            StrictModes no
            UsePAM no
            MaxSessions 64
            MaxStartups 100:30:200
            LogLevel ERROR
            """
        try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
    }

    /// The host key's fingerprint as OpenSSH computes it (`ssh-keygen -l`), to compare ours with.
    public func hostKeyFingerprint() async throws -> String {
        let out = directory + "/fingerprint.txt"
        _ = try await ShellCommand.run("ssh-keygen -l -E sha256 -f \(q(hostPublicKeyPath)) > \(q(out))")
        let line = try String(contentsOfFile: out, encoding: .utf8)
        return String(line.split(separator: " ")[1])
    }

    /// Replaces the host key with a new one and restarts sshd: a host "re-keyed" under our feet.
    public func changeHostKey() async throws {
        await stopServer()
        _ = try await ShellCommand.run("rm -f \(q(directory + "/host_key")) \(q(hostPublicKeyPath)); ssh-keygen -q -t ed25519 -N '' -f \(q(directory + "/host_key"))")
        _ = try await ShellCommand.run("/usr/sbin/sshd -f \(q(directory + "/sshd_config")) -E \(q(directory + "/sshd.log"))")
        try await waitUntilListening()
    }

    /// sshd writes its pid file only once its socket is bound: a connection that succeeds
    /// before that reached whoever else holds the port.
    private func waitUntilListening() async throws {
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: directory + "/sshd.pid"),
                try await ShellCommand.run("bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null") == 0
            {
                return
            }
            let log = (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? ""
            if log.contains("Cannot bind any address") {
                throw SSHServerFailed(message: "sshd could not bind port \(port); see \(directory)/sshd.log", portTaken: true)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SSHServerFailed(message: "sshd did not accept connections within 10 s; see \(directory)/sshd.log")
    }

    /// A known_hosts file naming this server's key, for OpenSSH's own client.
    public func knownHostsFile() throws -> String {
        let path = directory + "/known_hosts"
        let key = try String(contentsOfFile: hostPublicKeyPath, encoding: .utf8)
        try "[127.0.0.1]:\(port) \(key)".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Stops sshd (sessions in progress end) and removes the directory.
    public func stop() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func stopServer() async {
        let pidFile = q(directory + "/sshd.pid")
        _ = try? await ShellCommand.run("[ -f \(pidFile) ] && kill $(cat \(pidFile)) 2>/dev/null; sleep 0.2; rm -f \(pidFile)")
    }

    private func generateKeys() async throws {
        let status = try await ShellCommand.run(
            "ssh-keygen -q -t ed25519 -N '' -f \(q(directory + "/host_key")) && ssh-keygen -q -t ed25519 -N '' -f \(q(privateKeyPath)) "
                + "&& cp \(q(privateKeyPath + ".pub")) \(q(directory + "/authorized_keys")) && chmod 600 \(q(privateKeyPath))")
        guard status == 0 else { throw SSHServerFailed(message: "ssh-keygen failed") }
    }

    private static func currentUser() -> String {
        guard let entry = getpwuid(getuid()) else { return "root" }
        return String(cString: entry.pointee.pw_name)
    }
}

private func q(_ word: String) -> String { ShellCommand.quote(word) }

/// The loopback sshd could not be set up.
public struct SSHServerFailed: Error, CustomStringConvertible {
    public var message: String
    /// sshd found its port taken by another process.
    public var portTaken = false
    public var description: String { message }
}

/// A free TCP port on loopback (bound, read, released), drawn at random from below the
/// kernel's ephemeral range (32768 and up on Linux): a port the kernel hands out itself could
/// become the local end of an outgoing connection (to PostgreSQL, say) before the caller's
/// server binds it. Falls back to one the kernel picks when none of the tries is free.
public func freePort() throws -> Int {
    for _ in 0..<50 {
        let candidate = Int.random(in: 10_000..<32_000)
        if try bindLoopback(port: candidate) == candidate { return candidate }
    }
    guard let picked = try bindLoopback(port: 0) else { throw SSHServerFailed(message: "no free port on loopback") }
    return picked
}

/// Binds 127.0.0.1:`port` (0: any), releases it, and returns the port it got, or nil when taken.
private func bindLoopback(port: Int) throws -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SSHServerFailed(message: "cannot open a socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}
