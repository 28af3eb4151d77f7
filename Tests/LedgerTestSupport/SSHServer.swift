import ChildProcess
import Foundation
import Ledger

/// A real OpenSSH server of one test's own on a loopback port: fresh host and user keys under a
/// temporary directory, key authentication only, for the current user. Its `directory` doubles
/// as the deploy target's home for the test.
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
    public static func start() async throws -> SSHServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-sshd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = SSHServer(directory: directory, port: try PrivateCluster.freePort(), user: ProcessInfo.processInfo.environment["USER"] ?? currentUser())
        try await server.generateKeys()
        let config = """
            Port \(server.port)
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
        // sshd insists on its privilege-separation directory when started as root.
        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        let started = try await ShellCommand.run("/usr/sbin/sshd -f \(q(directory + "/sshd_config")) -E \(q(directory + "/sshd.log"))")
        guard started == 0 else { throw LedgerError(.invalidArgument, "sshd did not start; see \(directory)/sshd.log") }
        try await waitUntil("sshd accepts connections", within: .seconds(10)) {
            try await ShellCommand.run("bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(server.port)' 2>/dev/null") == 0
        }
        return server
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
        try await waitUntil("sshd accepts connections", within: .seconds(10)) {
            try await ShellCommand.run("bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null") == 0
        }
    }

    /// Runs a command on the host as the test user would see it (here: locally), returning its exit status.
    public func shell(_ command: String) async throws -> Int32 { try await ShellCommand.run(command) }

    /// Stops sshd (sessions in progress end) and removes the directory.
    public func stop() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func stopServer() async {
        _ = try? await ShellCommand.run("[ -f \(q(directory + "/sshd.pid")) ] && kill $(cat \(q(directory + "/sshd.pid"))) 2>/dev/null; sleep 0.2")
    }

    private func generateKeys() async throws {
        let status = try await ShellCommand.run(
            "ssh-keygen -q -t ed25519 -N '' -f \(q(directory + "/host_key")) && ssh-keygen -q -t ed25519 -N '' -f \(q(privateKeyPath)) "
                + "&& cp \(q(privateKeyPath + ".pub")) \(q(directory + "/authorized_keys")) && chmod 600 \(q(privateKeyPath))")
        guard status == 0 else { throw LedgerError(.invalidArgument, "ssh-keygen failed") }
    }

    private static func currentUser() -> String {
        guard let entry = getpwuid(getuid()) else { return "root" }
        return String(cString: entry.pointee.pw_name)
    }
}

private func q(_ word: String) -> String { ShellCommand.quote(word) }

/// Whether no process of `group` runs on this machine any more (zombies waiting to be reaped by
/// whoever adopted them do not count: they run nothing).
public func processGroupIsGone(_ group: Int32) async throws -> Bool {
    try await ShellCommand.run("ps -eo pgid=,stat= | awk '$1==\(group) && $2 !~ /^Z/ {f=1} END {exit !f}'") != 0
}
