import Executors
import Foundation
@testable import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Projections
import Testing

/// Setting up through the API what deployments need — organisations, projects, environments,
/// servers and tokens — each within the caller's organisation and role.
extension DeploymentAPITests {
    /// The project a deploy names is checked by the service, once, with the scope: a wrong one is
    /// refused and writes nothing; one the token may not see answers as if nothing were there.
    @Test func aDeployNamingAnotherProjectIsRefusedAndADeployNamingNoBranchTakesTheTrackedOne() async throws {
        try await withWorld { world in
            let head = try await world.db.store.headPosition()
            let wrong = #"{"environment_id": "shop-prod", "project_id": "blog", "git_branch": "main"}"#
            let (refused, body, raw) = try await world.send("POST", "/api/v1/deployments", token: world.admin, body: wrong)
            #expect(refused == 422 && (body["error"] as? [String: Any])?["code"] as? String == "invalid", "\(raw)")
            #expect(raw.contains("not in project blog"), "\(raw)")
            let (hidden, _, _) = try await world.send("POST", "/api/v1/deployments", token: world.stranger, body: wrong)
            #expect(hidden == 404)
            #expect(try await world.db.store.headPosition() == head, "a refused deploy writes nothing")
            let (started, deployment, text) = try await world.send("POST", "/api/v1/environments/shop-prod/deploy", token: world.admin, body: "{}")
            #expect(started == 201 && deployment["git_branch"] as? String == "main", "\(text)")
        }
    }

    @Test func organisationsProjectsAndEnvironmentsAreSetUpThroughTheAPI() async throws {
        try await withWorld { world in
            let ops = CommandContext(actor: "ops")
            let tokens = GatewayTests.tokens(world.db)
            let root = try await tokens.issue(name: "root", role: .portalAdmin, organisation: nil, project: nil, context: ops).secret.text
            let (created, org, raw) = try await world.send(
                "POST", "/api/v1/organizations", token: root, body: #"{"id": "beta", "name": "Beta", "quota": {"memory_mb": 2048}}"#)
            #expect(created == 201 && org["id"] as? String == "beta", "\(raw)")
            let owner = try await tokens.issue(name: "owner", role: .orgOwner, organisation: "beta", project: nil, context: ops).secret.text
            let (refused, _, _) = try await world.send("POST", "/api/v1/organizations", token: owner, body: #"{"id": "gamma"}"#)
            #expect(refused == 403)

            let (project, _, _) = try await world.send("POST", "/api/v1/projects", token: owner, body: #"{"id": "site", "organization_id": "beta"}"#)
            #expect(project == 201)
            let (elsewhere, _, _) = try await world.send("POST", "/api/v1/projects", token: owner, body: #"{"id": "intruder", "organization_id": "acme"}"#)
            #expect(elsewhere == 404, "an owner of beta cannot create in acme, nor learn that it exists")

            let environment = #"{"id": "site-prod", "project_id": "site", "configuration": {"host": "10.0.0.9", "memory_mb": 1024}}"#
            let (made, body, text) = try await world.send("POST", "/api/v1/environments", token: owner, body: environment)
            #expect(made == 201 && (body["configuration"] as? [String: Any])?["host"] as? String == "10.0.0.9", "\(text)")
            let (patched, changed, _) = try await world.send("PATCH", "/api/v1/environments/site-prod", token: owner, body: #"{"ssh_port": 2222}"#)
            let configuration = changed["configuration"] as? [String: Any]
            #expect(patched == 200 && configuration?["ssh_port"] as? Int == 2222 && configuration?["host"] as? String == "10.0.0.9")
            let (over, refusal, _) = try await world.send("PATCH", "/api/v1/environments/site-prod", token: owner, body: #"{"memory_mb": 4096}"#)
            #expect(over == 422 && (refusal["error"] as? [String: Any])?["code"] as? String == "quota_exceeded")
            let (badStep, _, _) = try await world.send("PATCH", "/api/v1/environments/site-prod", token: owner, body: #"{"pipeline": ["No Such Step"]}"#)
            #expect(badStep == 422)
        }
    }

    /// A server is registered by naming a key of the organisation's keyring; the gateway checks
    /// on the host (a loopback sshd) that it presents the expected host key and that the key
    /// logs in. Another organisation can name neither the key nor a file.
    @Test func serversAreRegisteredPlacedAndRemovedThroughTheAPIWithinTheirOrganisation() async throws {
        let ssh = try await SSHServer.start()
        defer { Task { await ssh.stop() } }
        let keyring = Keyring(root: ssh.directory + "/keyring")
        try await withWorld(options: GatewayOptions(keyring: keyring)) { world in
            let ops = CommandContext(actor: "ops")
            let service = DeploymentService(store: world.db.store, source: "test")
            try await service.addKey("login", organisation: "acme", file: ssh.privateKeyPath, keyring: keyring, context: ops)
            let owner = try await GatewayTests.tokens(world.db).issue(name: "owner", role: .orgOwner, organisation: "acme", project: nil, context: ops).secret.text
            let hostKey = try await ssh.hostKeyFingerprint()
            let server = #"{"id": "web-2", "organization_id": "acme", "host": "127.0.0.1", "port": \#(ssh.port), "user": "\#(ssh.user)", "key_id": "login", "host_key_fingerprint": "\#(hostKey)", "capacity": {"cpu_millicores": 2000, "memory_mb": 2048, "disk_gb": 20}}"#
            let head = try await world.db.store.headPosition()
            // Another organisation can neither use acme's key nor register in acme.
            let (foreignKey, foreignRefusal, _) = try await world.send(
                "POST", "/api/v1/servers", token: world.stranger, body: server.replacingOccurrences(of: #""acme""#, with: #""other""#))
            #expect(foreignKey == 422 && (foreignRefusal["error"] as? [String: Any])?["code"] as? String == "unknown_key")
            let (foreignOrganisation, _, _) = try await world.send("POST", "/api/v1/servers", token: world.stranger, body: server)
            #expect(foreignOrganisation == 404)
            // A file path is no way to name a key.
            let withPath = server.replacingOccurrences(of: #""key_id": "login""#, with: #""key_id": "login", "key_path": "\#(ssh.privateKeyPath)""#)
            let (pathRefused, pathRefusal, _) = try await world.send("POST", "/api/v1/servers", token: owner, body: withPath)
            #expect(pathRefused == 422 && ((pathRefusal["error"] as? [String: Any])?["message"] as? String)?.contains("key_path") == true)
            // A host that presents another host key than the one expected is not registered.
            let otherHostKey = server.replacingOccurrences(of: hostKey, with: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            let (mismatch, mismatchRefusal, _) = try await world.send("POST", "/api/v1/servers", token: owner, body: otherHostKey)
            #expect(mismatch == 422 && (mismatchRefusal["error"] as? [String: Any])?["code"] as? String == "host_key_mismatch")
            #expect(try await world.db.store.headPosition() == head, "nothing refused was written")

            let (created, body, raw) = try await world.send("POST", "/api/v1/servers", token: owner, body: server)
            #expect(created == 201 && body["host_key_fingerprint"] as? String == hostKey && body["key_id"] as? String == "login", "\(raw)")
            #expect(body["key_fingerprint"] as? String == (try PrivateKeyFile.publicFingerprint(ssh.privateKeyPath)), "the keyring's fingerprint")
            let (badFingerprint, _, _) = try await world.send("POST", "/api/v1/servers", token: owner, body: server.replacingOccurrences(of: "web-2", with: "web-3").replacingOccurrences(of: "SHA256:", with: "md5:"))
            #expect(badFingerprint == 422)
            let (listed, _, list) = try await world.send("GET", "/api/v1/servers", token: owner)
            #expect(listed == 200 && list.contains("web-1") && list.contains("web-2"))
            let (strangerList, _, strangerRaw) = try await world.send("GET", "/api/v1/servers", token: world.stranger)
            #expect(strangerList == 200 && !strangerRaw.contains("web-"), "another organisation sees none of them")
            let (hidden, _, _) = try await world.send("GET", "/api/v1/servers/web-2", token: world.stranger)
            #expect(hidden == 404)
            // An environment placed on it must fit its capacity.
            let (placed, environment, placedRaw) = try await world.send(
                "PATCH", "/api/v1/environments/shop-prod", token: owner, body: #"{"server": "web-2", "memory_mb": 1024}"#)
            let configuration = environment["configuration"] as? [String: Any]
            #expect(placed == 200 && configuration?["server"] as? String == "web-2" && configuration?["host"] as? String == "127.0.0.1", "\(placedRaw)")
            let (over, refusal, _) = try await world.send("PATCH", "/api/v1/environments/shop-prod", token: owner, body: #"{"memory_mb": 4096}"#)
            #expect(over == 422 && (refusal["error"] as? [String: Any])?["code"] as? String == "capacity_exceeded")
            let (inUse, _, _) = try await world.send("DELETE", "/api/v1/servers/web-2", token: owner)
            #expect(inUse == 400, "a server in use is not removed")
            let (removed, gone, _) = try await world.send("DELETE", "/api/v1/servers/web-1", token: owner)
            #expect(removed == 200 && gone["removed"] as? Bool == true)
        }
    }

    @Test func anOwnerIssuesListsAndRevokesItsOrganisationsTokensOverTheAPI() async throws {
        try await withWorld { world in
            let ops = CommandContext(actor: "ops")
            let owner = try await GatewayTests.tokens(world.db).issue(name: "owner", role: .orgOwner, organisation: "acme", project: nil, context: ops).secret.text
            let (issued, body, raw) = try await world.send(
                "POST", "/api/v1/tokens", token: owner, body: #"{"name": "ci", "role": "project_admin", "organization_id": "acme", "project_id": "shop"}"#)
            #expect(issued == 201, "\(raw)")
            let secret = try #require(body["token"] as? String)
            let id = try #require((body["record"] as? [String: Any])?["id"] as? String)
            let (works, _, _) = try await world.send("GET", "/api/v1/deployments", token: secret)
            #expect(works == 200)
            let (_, _, listed) = try await world.send("GET", "/api/v1/tokens", token: owner)
            #expect(listed.contains(id) && !listed.contains(secret), "a listing never shows a secret")

            let (elsewhere, _, _) = try await world.send(
                "POST", "/api/v1/tokens", token: owner, body: #"{"name": "x", "role": "org_owner", "organization_id": "other"}"#)
            #expect(elsewhere == 404)
            let (escalate, _, _) = try await world.send("POST", "/api/v1/tokens", token: owner, body: #"{"name": "x", "role": "portal_admin"}"#)
            #expect(escalate == 404 || escalate == 403)
            let (notAnOwner, _, _) = try await world.send("GET", "/api/v1/tokens", token: world.admin)
            #expect(notAnOwner == 403)

            let (revoked, _, _) = try await world.send("DELETE", "/api/v1/tokens/\(id)", token: owner)
            #expect(revoked == 204)
            let (refused, _, _) = try await world.send("GET", "/api/v1/deployments", token: secret)
            #expect(refused == 401, "revoked: refused from the next request on")
            let (strangers, _, _) = try await world.send("DELETE", "/api/v1/tokens/\(id)", token: world.stranger)
            #expect(strangers == 404)
        }
    }
}
