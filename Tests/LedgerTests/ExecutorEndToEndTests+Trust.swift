import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// The executor at the seams an attacker pushes on: another organisation's key, request text
/// inside a setting.
extension ExecutorEndToEndTests {
    /// Another organisation points a server of its own at this organisation's host and claims
    /// its key: by a recorded key of the same id and fingerprint (as a bypassed API or a
    /// hand-written event could), and by a server event that names the key's file path. The
    /// worker runs nothing for either: keys are looked up only in the server's own
    /// organisation's keyring directory.
    @Test func anotherOrganisationCannotDeployWithThisOrganisationsKey() async throws {
        try await withHost { host in
            let context = CommandContext(actor: "mallory")
            let hostKey = try await SSHConnection.hostKey(host: "127.0.0.1", port: host.server.port)
            let fingerprint = try PrivateKeyFile.publicFingerprint(host.server.privateKeyPath)
            try await host.service.createOrganisation(id: "other", name: "Other", context: context)
            try await host.service.createProject(id: "blog", organisation: "other", name: "Blog", context: context)
            try await host.service.registerKey(SSHKeyRegistered(keyID: "deploy", organisationID: "other", fingerprint: fingerprint), context: context)
            try await host.service.registerServer(ServerRegistered(
                serverID: "intruder", organisationID: "other", host: "127.0.0.1", port: host.server.port, user: host.server.user, keyID: "deploy",
                keyFingerprint: fingerprint, hostKeyType: hostKey.type, hostKeyFingerprint: hostKey.fingerprint,
                capacity: Resources(cpuMillicores: 4_000, memoryMB: 8_192, diskGB: 100)), context: context)
            // A server event as servers were recorded before keyrings, naming the key file itself.
            var legacy = try JSONSerialization.jsonObject(with: try LedgerJSON.encode(ServerRegistered(
                serverID: "legacy", organisationID: "other", host: "127.0.0.1", port: host.server.port, user: host.server.user, keyID: "x",
                keyFingerprint: fingerprint, hostKeyType: hostKey.type, hostKeyFingerprint: hostKey.fingerprint,
                capacity: Resources(cpuMillicores: 4_000, memoryMB: 8_192, diskGB: 100)))) as! [String: Any]
            legacy["keyID"] = nil
            legacy["keyPath"] = host.server.privateKeyPath
            _ = try await host.service.store.append(to: DomainIDs.serverStream("legacy"), expectedVersion: .noStream, events: [
                try NewEvent(type: ServerRegistered.eventType, data: try JSONSerialization.data(withJSONObject: legacy))
            ])
            for (environment, server) in [("blog-prod", "intruder"), ("blog-old", "legacy")] {
                let marker = host.directory + "/\(environment)-marker"
                try await host.service.createEnvironment(
                    id: environment, project: "blog", name: environment,
                    configuration: try ConfigurationChanges(
                        cpuMillicores: 100, memoryMB: 64, diskGB: 1, server: server,
                        settings: ["deploy_path": host.directory + "/\(environment)", "install_command": "id > \(marker)"]
                    ).applied(to: nil), context: context)
                let id = try #require(try await host.service.deploy(environment: environment, git: GitReference(branch: "main", commit: host.commits[0]), context: context).deploymentID)
                try await host.waitFor(id, .failed)
                let error = try #require(try await host.service.deployment(id)?.error)
                #expect(error.contains("keyring") && error.contains("nothing was run"), "\(error)")
                #expect(!FileManager.default.fileExists(atPath: marker), "nothing ran on the host")
                #expect(!FileManager.default.fileExists(atPath: host.directory + "/\(environment)"))
            }
            // The organisation that owns the key still deploys with it.
            let own = try await host.deploy(commit: host.commits[0])
            try await host.waitFor(own, .success)
        }
    }

    /// A setting's value is data, expanded once: `{{branch}}` in a command is refused when it is
    /// configured, and — found in an older configuration event — kept literal, so a branch name
    /// that is also shell (`main;touch${IFS}PWNED`, a valid git ref) runs nothing.
    @Test func aRequestsTextNamedInASettingIsNeverParsedByAShell() async throws {
        try await withHost(versions: [("v1", true)]) { host in
            let context = CommandContext(actor: "ana")
            await #expect(throws: CommandRejection.self) {
                try await host.service.configureEnvironment(
                    "shop-prod", changes: ConfigurationChanges(settings: ["install_command": "echo installing {{branch}}"]), context: context)
            }
            var configuration = try #require(try await host.service.environment("shop-prod")?.configuration)
            configuration.settings?["install_command"] = "echo installing {{branch}} at {{commit}}"
            _ = try await host.service.store.append(to: DomainIDs.environmentStream("shop-prod"), events: [
                try DomainEvent.environmentConfigured(EnvironmentConfigured(environmentID: "shop-prod", configuration: configuration))
                    .newEvent(metadata: EventMetadata(actor: "before-the-rule", organisation: "acme", project: "shop"))
            ])
            let id = try #require(try await host.service.deploy(
                environment: "shop-prod", git: GitReference(branch: "main;touch${IFS}PWNED", commit: host.commits[0]), force: true, context: context
            ).deploymentID)
            try await host.waitFor(id, .success)
            #expect(try await host.logLines(id).contains("installing {{branch}} at {{commit}}"))
            let everything = FileManager.default.enumerator(atPath: host.directory)?.compactMap { $0 as? String } ?? []
            #expect(!everything.contains { $0.hasSuffix("PWNED") }, "nothing the branch name says was run")
        }
    }
}
