import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// `ledger servers`: a host key is pinned only once confirmed; capacity is enforced; a deploy
/// lock is broken only by an explicit command that leaves an audit event.
@Suite(.serialized)
struct ServerCommandTests {
    @Test func aServerIsRegisteredOnlyWithAConfirmedHostKey() async throws {
        try await withServerSetup { setup in
            let keyring = "--keyring \(setup.keyring.root)"
            // A key is added to the organisation's keyring first; a server names it by id.
            let keyAdded = try await LedgerBinary.run("keys add deploy --org acme --file \(setup.ssh.privateKeyPath) \(keyring)", databaseURL: setup.url)
            #expect(keyAdded.status == 0, "\(keyAdded.errors)")
            let keyFile = try setup.keyring.path(organisation: "acme", keyID: "deploy")
            #expect(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int == 0o600)
            let unknownKey = try await LedgerBinary.run(
                "servers add web-9 --org acme --host 127.0.0.1 --port \(setup.ssh.port) --key nope --cpu 1 --ram 1 --disk 1 \(keyring)", databaseURL: setup.url)
            #expect(unknownKey.status == 2 && unknownKey.errors.contains("keys add"), "\(unknownKey.errors)")
            // Another organisation cannot name acme's key, nor add acme's key file as its own under the same id and use acme's host with it.
            try await setup.service.createOrganisation(id: "other", name: "Other", context: .init(actor: "mallory"))
            let foreign = try await LedgerBinary.run(
                "servers add web-8 --org other --host 127.0.0.1 --port \(setup.ssh.port) --key deploy --cpu 1 --ram 1 --disk 1 --fingerprint SHA256:x \(keyring)",
                databaseURL: setup.url)
            #expect(foreign.status == 2 && foreign.errors.contains("no key 'deploy' in the keyring of other"), "\(foreign.errors)")
            #expect(try await setup.service.server("web-8") == nil)
            let add = "servers add web-1 --org acme --host 127.0.0.1 --port \(setup.ssh.port) --user \(setup.ssh.user) --key deploy --cpu 2 --ram 2048 --disk 20 \(keyring)"
            let fingerprint = try await setup.ssh.hostKeyFingerprint()
            // Unknown key: shown for the operator to check, nothing registered.
            let unconfirmed = try await LedgerBinary.run(add, databaseURL: setup.url)
            #expect(unconfirmed.status == 2 && unconfirmed.errors.contains("host_key_unconfirmed"), "\(unconfirmed.errors)")
            #expect(unconfirmed.output.contains(fingerprint))
            #expect(unconfirmed.errors.contains("--fingerprint"))
            #expect(try await setup.service.server("web-1") == nil)
            // Another key than the one expected: refused.
            let wrong = try await LedgerBinary.run(add + " --fingerprint SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", databaseURL: setup.url)
            #expect(wrong.status == 2, "a refusal by the host exits 2 like every refusal (error table: host_key_mismatch)")
            #expect(wrong.errors.contains("not the expected"))
            #expect(try await setup.service.server("web-1") == nil)
            // Confirmed through a known_hosts file.
            let knownHosts = setup.ssh.directory + "/known_hosts"
            let key = try String(contentsOfFile: setup.ssh.hostPublicKeyPath, encoding: .utf8)
            try "[127.0.0.1]:\(setup.ssh.port) \(key)".write(toFile: knownHosts, atomically: true, encoding: .utf8)
            let added = try await LedgerBinary.run(add + " --known-hosts \(knownHosts)", databaseURL: setup.url)
            #expect(added.status == 0, "\(added.errors)")
            let server = try #require(try await setup.service.server("web-1"))
            #expect(server.registration.hostKeyFingerprint == fingerprint)
            #expect(server.registration.keyFingerprint == (try PrivateKeyFile.publicFingerprint(setup.ssh.privateKeyPath)))
            #expect(server.registration.keyID == "deploy" && server.registration.keyPath == nil)
            // Shown for people by default, as JSON with --json.
            let shown = try await LedgerBinary.run("servers show web-1", databaseURL: setup.url)
            #expect(shown.status == 0 && shown.output.contains(fingerprint) && shown.output.contains("capacity"), "\(shown.errors)")
            let json = try await LedgerBinary.run("servers show web-1 --json", databaseURL: setup.url)
            let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect(json.status == 0 && object != nil, "\(json.errors)")
            let events = try await setup.service.records(of: DomainIDs.serverStream("web-1"))
            #expect(!events.isEmpty)
            let stored = try String(contentsOfFile: setup.ssh.privateKeyPath, encoding: .utf8)
            let keyBody = stored.split(separator: "\n")[1]
            #expect(!(try await setup.rawLog()).contains(String(keyBody)), "the private key never enters the log")
        }
    }

    @Test func configuringBeyondAServersCapacityIsRejectedWithTheNumbers() async throws {
        try await withServerSetup { setup in
            try await setup.register(cpu: 2_000, memory: 2_048)
            let context = CommandContext(actor: "ana")
            try await setup.service.createEnvironment(
                id: "shop-a", project: "shop", name: "a",
                configuration: try ConfigurationChanges(cpuMillicores: 1_000, memoryMB: 1_500, diskGB: 5, server: "web-1").applied(to: nil), context: context)
            do {
                try await setup.service.createEnvironment(
                    id: "shop-b", project: "shop", name: "b",
                    configuration: try ConfigurationChanges(cpuMillicores: 500, memoryMB: 1_000, diskGB: 5, server: "web-1").applied(to: nil), context: context)
                Issue.record("accepted beyond capacity")
            } catch let rejection as CommandRejection {
                #expect(rejection.code == .capacityExceeded)
                #expect(rejection.message.contains("1500 MB allocated to other environments + 1000 requested for shop-b > 2048 available"))
            }
            // Moving shop-a elsewhere frees its allocation on web-1.
            try await setup.service.configureEnvironment("shop-a", changes: ConfigurationChanges(host: "10.0.0.9", server: nil), context: context)
            #expect(try await setup.service.server("web-1")?.allocations["shop-a"] != nil, "a host change alone keeps the server")
            try await setup.service.destroy(environment: "shop-a", deleteData: false, context: context)
            #expect(try await setup.service.server("web-1")?.allocations.isEmpty == true, "destroying releases the server's capacity")
            try await setup.service.deploy(environment: "shop-a", git: GitReference(branch: "main"), context: context)
            #expect(try await setup.service.server("web-1")?.allocations["shop-a"]?.memoryMB == 1_500, "deploying it again allocates again")
        }
    }

    @Test func breakingADeployLockIsAnExplicitAuditedCommand() async throws {
        try await withServerSetup { setup in
            try await setup.register(cpu: 2_000, memory: 2_048)
            let deployPath = setup.ssh.directory + "/deploy"
            try await setup.service.createEnvironment(
                id: "shop-a", project: "shop", name: "a",
                configuration: try ConfigurationChanges(cpuMillicores: 500, memoryMB: 500, diskGB: 5, server: "web-1", settings: ["deploy_path": deployPath])
                    .applied(to: nil),
                context: .init(actor: "ana"))
            try FileManager.default.createDirectory(atPath: deployPath + "/.deploy-lock", withIntermediateDirectories: true)
            try "owner=web-1\ndeployment=abc\nexpires=1\n".write(toFile: deployPath + "/.deploy-lock/info", atomically: true, encoding: .utf8)
            let unlock = try await LedgerBinary.run(
                "servers unlock web-1 --environment shop-a --reason 'host crashed mid-deploy' --actor olga --keyring \(setup.keyring.root)", databaseURL: setup.url)
            #expect(unlock.status == 0, "\(unlock.errors)")
            #expect(!FileManager.default.fileExists(atPath: deployPath + "/.deploy-lock"))
            let broken = try await setup.service.records(of: DomainIDs.serverStream("web-1")).compactMap {
                if case .deployLockBroken(let e) = $0.event { e } else { nil }
            }
            #expect(broken.count == 1)
            #expect(broken.first?.lock.contains("deployment=abc") == true)
            #expect(broken.first?.reason == "host crashed mid-deploy")
        }
    }
}

struct ServerSetup: Sendable {
    let ssh: SSHServer
    let service: DeploymentService
    let url: String
    let context: TestContext
    var keyring: Keyring { Keyring(root: ssh.directory + "/keyring") }

    func register(cpu: Int, memory: Int) async throws {
        let fingerprint = try await ssh.hostKeyFingerprint()
        let key = try await service.addKey("deploy", organisation: "acme", file: ssh.privateKeyPath, keyring: keyring, context: .init(actor: "ana"))
        try await service.registerServer(ServerRegistered(
            serverID: "web-1", organisationID: "acme", host: "127.0.0.1", port: ssh.port, user: ssh.user, keyID: key.keyID,
            keyFingerprint: key.fingerprint, hostKeyType: "ssh-ed25519", hostKeyFingerprint: fingerprint,
            capacity: Resources(cpuMillicores: cpu, memoryMB: memory, diskGB: 100)), context: .init(actor: "ana"))
    }

    /// Every event's data and metadata as text.
    func rawLog() async throws -> String {
        try await context.store.readAll(after: 0, limit: 10_000).events.map { String(decoding: $0.data, as: UTF8.self) }.joined(separator: "\n")
    }
}

func withServerSetup(_ body: @Sendable (ServerSetup) async throws -> Void) async throws {
    try await TestDatabase.withDatabase { db in
        let ssh = try await SSHServer.start()
        let service = DeploymentService(store: db.store, source: "test")
        try await service.createOrganisation(id: "acme", name: "Acme", context: .init(actor: "ana"))
        try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: .init(actor: "ana"))
        do {
            try await body(ServerSetup(ssh: ssh, service: service, url: db.url.connectionString, context: db))
        } catch {
            await ssh.stop()
            throw error
        }
        await ssh.stop()
    }
}
