import CommandRuntime
import ArgumentParser
import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import Synchronization

/// `ledger servers add|list|show|remove`: the hosts environments deploy to.
struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers", abstract: "Register, list and remove the servers environments deploy to.",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Unlock.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a server, pinning its host key.",
            discussion: """
                The server logs in with a key of its organisation's keyring (--key, added with `ledger keys add`). The host \
                key is pinned at registration: pass the fingerprint you expect (--fingerprint SHA256:…, from \
                `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host) or a known_hosts file that lists the host. \
                Without either, the command shows the fingerprint the host presents and registers nothing, so you can \
                confirm it. Events record the key's id and public fingerprint, never the key.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "Its id, e.g. web-1.") var id: String
        @Option(name: .customLong("org"), help: "The organisation it belongs to.") var organisation: String
        @Option(help: "Its host name or address.") var host: String
        @Option(help: "Its SSH port.") var port = 22
        @Option(help: "The user steps run as.") var user = "deploy"
        @Option(name: .customLong("key"), help: "The id of the key in the organisation's keyring that workers log in with.") var key: String
        @Option(help: "CPU cores it offers, e.g. 4.") var cpu: Double
        @Option(name: .customLong("ram"), help: "RAM it offers, in MB.") var memory: Int
        @Option(help: "Disk it offers, in GB.") var disk: Int
        @Option(help: "The host key fingerprint you expect (SHA256:…).") var fingerprint: String?
        @Option(name: .customLong("known-hosts"), help: "A known_hosts file listing the host's key.") var knownHosts: String?
        @Flag(name: .customLong("skip-login-check"), help: "Do not log in once to check the user and key.") var skipLoginCheck = false

        func run() async throws {
            try await reportingErrors {
                let request = ServerRegistered(
                    serverID: id, organisationID: organisation, host: host, port: port, user: user, keyID: key, keyFingerprint: "",
                    hostKeyType: "", hostKeyFingerprint: "", capacity: Resources(cpuMillicores: Resources.millicores(cores: cpu), memoryMB: memory, diskGB: disk))
                // Everything that needs no host first: a request that would be refused dials nothing.
                _ = try await DomainSession.run(connection) { [options] session in
                    try await session.service.checkRegistration(request, expectedHostKeys: [], context: options.context)
                }
                let expected: Set<String>
                if let fingerprint {
                    expected = [fingerprint]
                } else if let knownHosts {
                    expected = try KnownHosts.fingerprints(file: knownHosts, host: host, port: port)
                    guard !expected.isEmpty else { throw LedgerError(.invalidArgument, "\(knownHosts) has no key for \(host) (port \(port))") }
                } else {
                    // Nothing to pin against: show what the host presents, for a person to check.
                    let presented = try await SSHConnection.hostKey(host: host, port: port)
                    printLine("\(host):\(port) presents \(presented.type) \(presented.fingerprint)")
                    throw CommandRejection(
                        .hostKeyUnconfirmed, "not registered: check this fingerprint on the host, then run again with --fingerprint \(presented.fingerprint)")
                }
                let login: DeploymentService.LoginCheck = skipLoginCheck ? .skipped : .required(connection.resolvedKeyring)
                guard let registered = try await DomainSession.run(connection, { [options] session in
                    try await session.service.registerServer(pinning: request, expectedHostKeys: expected, login: login, context: options.context)
                }) else { return }
                try Output.done(
                    "registered server \(id): \(user)@\(host):\(port), key \(key), host key \(registered.hostKeyFingerprint) pinned",
                    ["registered": "server", "id": id, "host_key_fingerprint": registered.hostKeyFingerprint], connection: connection, options: options)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List servers with their capacity and what is allocated on them.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org")) var organisation: String?

        func run() async throws {
            try await reportingErrors {
                guard let servers = try await DomainSession.run(connection, { [organisation] session in
                    try await session.service.servers(organisation: organisation)
                }) else { return }
                if options.json { return try servers.forEach(Output.json) }
                Output.table(
                    ["ID", "ORG", "ADDRESS", "HOST KEY", "CPU", "RAM MB", "DISK GB", "ENVIRONMENTS", "STATE"],
                    servers.map { server in
                        let r = server.registration, used = server.used
                        return [
                            r.serverID, r.organisationID, "\(r.user)@\(r.host):\(r.port)", r.hostKeyFingerprint,
                            "\(Double(used.cpuMillicores) / 1_000)/\(Double(r.capacity.cpuMillicores) / 1_000)",
                            "\(used.memoryMB)/\(r.capacity.memoryMB)", "\(used.diskGB)/\(r.capacity.diskGB)",
                            server.allocations.keys.sorted().joined(separator: ","), server.removed ? "removed" : "active",
                        ]
                    })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one server: address, pinned host key, capacity and what is placed on it.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String

        func run() async throws {
            try await reportingErrors {
                let server = try await DomainSession.run(connection) { [id] session in try await session.service.server(id) }
                guard let server = server ?? nil else { throw CommandRejection(.notFound, "no such server: \(id)") }
                if options.json { return try Output.json(server) }
                let r = server.registration
                printLine("\(r.serverID) in \(r.organisationID)\(server.removed ? " (removed)" : ""): \(r.user)@\(r.host):\(r.port)")
                printLine("host key \(r.hostKeyType) \(r.hostKeyFingerprint) (pinned); logs in with key \(r.keyID ?? "(a file path, refused until registered again)") (\(r.keyFingerprint))")
                printLine("capacity \(Output.resources(r.capacity)); allocated \(Output.resources(server.used))")
                Output.table(["ENVIRONMENT", "ALLOCATED"], server.allocations.sorted { $0.key < $1.key }.map { [$0.key, Output.resources($0.value)] })
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a server no environment uses any more.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String

        func run() async throws {
            try await reportingErrors {
                _ = try await DomainSession.run(connection) { [id, options] session in try await session.service.removeServer(id, context: options.context) }
                try Output.done("removed server \(id)", ["removed": "server", "id": id], connection: connection, options: options)
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Break an environment's deploy lock on its server (audited), e.g. after a host crashed mid-deploy.",
            discussion: "Refused while a deployment of the environment is in flight: cancel that instead. The lock's record and your reason go into the audit trail.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "The server.") var id: String
        @Option(help: "The environment whose lock to break.") var environment: String
        @Option(help: "Why (recorded).") var reason: String
        @Option(help: "The directory of pipeline files (for the default deploy_path).") var pipelines = "pipelines"

        func run() async throws {
            try await reportingErrors {
                let defaults = (try? PipelineLoader.load(file: pipelines + "/deploy.yml"))?.variables ?? [:]
                let found = try await DomainSession.run(connection) { [id, environment] session in
                    (try await session.service.server(id), try await session.service.environment(environment))
                }
                guard let (server, state) = found, let server, let state else { throw CommandRejection(.notFound, "no such server or environment") }
                let template = state.configuration?.settings?["deploy_path"] ?? defaults["deploy_path"] ?? "apps/{{environment}}"
                let deployPath = template.replacingOccurrences(of: "{{environment}}", with: environment)
                let registration = server.registration
                let keyFile = try await DomainSession.run(connection) { session in
                    try connection.resolvedKeyring.keyFile(for: registration, keyring: try await session.service.keyring(registration.organisationID))
                }
                guard let keyFile else { return }
                let ssh = try await SSHConnection.connect(SSHTarget(
                    host: registration.host, port: registration.port, user: registration.user, privateKeyPath: keyFile,
                    hostKeyFingerprint: registration.hostKeyFingerprint))
                let lockFile = ShellCommand.quote(deployPath + "/.deploy-lock")
                let output = LockedText()
                let read = try await ssh.run("cat \(lockFile)/info", timeout: .seconds(30), stop: StopSwitch()) { output.add($0.bytes) }
                guard read.succeeded else {
                    await ssh.close()
                    try Output.done(
                        "no deploy lock on \(id) for \(environment) (\(deployPath)): nothing to break", ["server_id": id, "environment_id": environment, "broken": "false"],
                        connection: connection, options: options)
                    return
                }
                let lock = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
                _ = try await DomainSession.run(connection) { [id, environment, reason, options] session in
                    try await session.service.recordLockBroken(
                        server: id, environment: environment, deployPath: deployPath, lock: lock, reason: reason, context: options.context)
                }
                let removed = try await ssh.run("rm -rf \(lockFile)", timeout: .seconds(30), stop: StopSwitch()) { _ in }
                await ssh.close()
                guard removed.succeeded else { throw LedgerError(.invalidArgument, "recorded, but removing \(deployPath)/.deploy-lock on \(id) failed") }
                try Output.done(
                    "broke the deploy lock of \(environment) on \(id): \(lock.replacingOccurrences(of: "\n", with: ", "))",
                    ["server_id": id, "environment_id": environment, "broken": "true", "lock": lock], connection: connection, options: options)
            }
        }
    }
}

/// Output bytes gathered from a command run for the CLI.
final class LockedText: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func add(_ chunk: [UInt8]) { bytes.withLock { $0 += chunk } }
    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
}
