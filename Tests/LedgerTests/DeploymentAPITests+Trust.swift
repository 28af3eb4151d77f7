import Foundation
import Glibc
@testable import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Projections
import Testing

/// The seams an attacker pushes on through the API: numbers past every bound, settings that are
/// code, request bodies the document does not allow, git references that would be options.
extension DeploymentAPITests {
    /// The overflow that crashed the service: refused with a 422, and — written to the log by
    /// hand, as an old or forged event would be — summed without trapping by every read.
    @Test func resourcesPastTheirBoundsAreRefusedAndCannotCrashAQuotaRead() async throws {
        try await withWorld { world in
            let owner = try await GatewayTests.tokens(world.db).issue(
                name: "owner", role: .orgOwner, organisation: "acme", project: nil, context: CommandContext(actor: "ops")).secret.text
            let head = try await world.db.store.headPosition()
            for body in [
                #"{"id": "huge", "project_id": "shop", "configuration": {"host": "h", "cpu_millicores": 9223372036854775807}}"#,
                #"{"id": "huge", "project_id": "shop", "configuration": {"host": "h", "memory_mb": 99999999999999999999}}"#,
                #"{"id": "huge", "project_id": "shop", "configuration": {"host": "h", "disk_gb": 1048577}}"#,
            ] {
                let (status, answer, raw) = try await world.send("POST", "/api/v1/environments", token: owner, body: body)
                #expect(status == 422, "\(raw)")
                #expect(((answer["error"] as? [String: Any])?["message"] as? String)?.contains("configuration.") == true, "\(raw)")
            }
            #expect(try await world.db.store.headPosition() == head, "nothing was written")
            // Through the domain (as the CLI goes), the same bounds.
            let service = DeploymentService(store: world.db.store, source: "test")
            await #expect(throws: CommandRejection.self) {
                try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(cpuMillicores: .max), context: CommandContext(actor: "ops"))
            }
            // Forged events past every bound: the reads saturate instead of trapping.
            for (environment, cpu) in [("forged-1", Int.max), ("forged-2", Int.max / 2 + 1)] {
                try await service.createEnvironment(
                    id: environment, project: "shop", name: environment,
                    configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: CommandContext(actor: "ops"))
                var forged = try #require(try await service.environment(environment)?.configuration)
                forged.resources = Resources(cpuMillicores: cpu, memoryMB: .max, diskGB: .max)
                _ = try await world.db.store.append(to: DomainIDs.environmentStream(environment), events: [
                    try DomainEvent.environmentConfigured(EnvironmentConfigured(environmentID: environment, configuration: forged))
                        .newEvent(metadata: EventMetadata(actor: "forger", organisation: "acme", project: "shop"))
                ])
                try await service.deploy(environment: environment, git: GitReference(branch: "main"), context: CommandContext(actor: "ops"))
            }
            try await waitUntil("the quota read model has the forged allocations", within: .seconds(20)) {
                let (status, quota, _) = try await world.send("GET", "/api/v1/organizations/acme/quota", token: owner)
                return status == 200 && ((quota["used"] as? [String: Any])?["cpu_millicores"] as? Int) == Int.max
            }
            let (organisation, _, _) = try await world.send("GET", "/api/v1/organizations/acme", token: owner)
            #expect(organisation == 200)
            #expect(try await service.configureEnvironment(
                "shop-prod", changes: ConfigurationChanges(cpuMillicores: 2), context: CommandContext(actor: "ops")).position != nil,
                "a quota check against saturated totals answers instead of trapping")
            // The read model the projection built from the forged events (as a restart rebuilds it): saturated, no trap.
            let reader = ProjectionReader(client: world.db.client, logger: TestDatabase.logger)
            #expect(try await reader.quota(organisation: "acme").used.cpuMillicores == Int.max)
        }
    }

    /// Settings that are code need `org.pipelines.manage`: a project admin may change data
    /// (resources, branch), not commands, URLs, paths or placement; an org admin may, and the
    /// audit trail shows what changed, before and after.
    @Test func changingCodeSettingsNeedsThePipelinesPermissionAndIsAuditedBeforeAndAfter() async throws {
        try await withWorld { world in
            let tokens = GatewayTests.tokens(world.db)
            let orgAdmin = try await tokens.issue(name: "lead", role: .orgAdmin, organisation: "acme", project: nil, context: CommandContext(actor: "ops")).secret.text
            let head = try await world.db.store.headPosition()
            for body in [
                #"{"settings": {"install_command": "id > marker"}}"#, #"{"settings": {"health_url": "http://169.254.169.254/"}}"#,
                #"{"host": "other-host"}"#, #"{"server": "web-1"}"#, #"{"pipeline": ["cloning_repo"]}"#,
            ] {
                let (status, answer, raw) = try await world.send("PATCH", "/api/v1/environments/shop-prod", token: world.admin, body: body)
                #expect(status == 403 && (answer["error"] as? [String: Any])?["code"] as? String == "forbidden", "\(body): \(raw)")
            }
            #expect(try await world.db.store.headPosition() == head, "nothing refused was written")
            let (data, _, dataRaw) = try await world.send(
                "PATCH", "/api/v1/environments/shop-prod", token: world.admin, body: #"{"memory_mb": 2, "branch": "release", "settings": {"keep_releases": "4"}}"#)
            #expect(data == 200, "data settings stay the project admin's: \(dataRaw)")
            let (code, _, codeRaw) = try await world.send(
                "PATCH", "/api/v1/environments/shop-prod", token: orgAdmin, body: #"{"settings": {"install_command": "make install"}}"#)
            #expect(code == 200, "\(codeRaw)")
            try await waitUntil("the audit trail shows the change", within: .seconds(20)) {
                let (_, _, audit) = try await world.send("GET", "/api/v1/audit?action=EnvironmentConfigured", token: orgAdmin)
                return audit.contains("settings.install_command: (unset) → 'make install'") && audit.contains("token:lead")
            }
            let (_, _, audit) = try await world.send("GET", "/api/v1/audit?action=EnvironmentConfigured", token: orgAdmin)
            #expect(audit.contains("memory_mb: '1' → '2'") && audit.contains("branch: 'main' → 'release'"))
        }
    }

    /// Bodies are what the OpenAPI document says: unknown fields, refs that would be options or
    /// shell, a byte-order mark or a trailing comma are refused before anything is written.
    @Test func bodiesOutsideTheDocumentedSchemasAreRefusedAndWriteNothing() async throws {
        try await withWorld { world in
            let head = try await world.db.store.headPosition()
            let refused: [(String, String, Int)] = [
                ("POST", #"{"environment_id": "shop-prod", "git_commit": "abc1234", "bogus": 1}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_branch": "--upload-pack=touch /tmp/pwned"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_branch": "--pathspec-from-file=/etc/passwd"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_branch": "main\nmore"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_branch": "; touch x"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_branch": "a..b"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_commit": "not-hex"}"#, 422),
                ("POST", #"{"environment_id": "shop-prod", "git_commit": "abc1234",}"#, 400),
                ("POST", "\u{FEFF}" + #"{"environment_id": "shop-prod", "git_commit": "abc1234"}"#, 400),
                ("POST", #"{"environment_id": "shop-prod", "git_commit": "abc1234"} {}"#, 400),
            ]
            for (method, body, expected) in refused {
                let (status, answer, raw) = try await world.send(method, "/api/v1/deployments", token: world.admin, body: body)
                #expect(status == expected, "\(body): \(raw)")
                #expect(answer["error"] != nil, "\(raw)")
            }
            let (unknown, answer, _) = try await world.send("PATCH", "/api/v1/environments/shop-prod", token: world.admin, body: #"{"bogus": "x"}"#)
            #expect(unknown == 422 && ((answer["error"] as? [String: Any])?["message"] as? String)?.contains("bogus") == true)
            let (nested, nestedAnswer, _) = try await world.send(
                "POST", "/api/v1/environments", token: world.admin, body: #"{"id": "n1", "project_id": "shop", "configuration": {"host": "h", "extra": 1}}"#)
            #expect(nested == 422 && ((nestedAnswer["error"] as? [String: Any])?["message"] as? String)?.contains("configuration.extra") == true)
            #expect(try await world.db.store.headPosition() == head, "nothing refused was written")
        }
    }

    /// A client that trickles its request head is closed once the idle timeout passes; a body
    /// past the limit is answered 413 and the connection ends there, unread.
    @Test func slowHeadsAndOversizedBodiesDoNotHoldAConnection() async throws {
        var options = GatewayOptions()
        options.idleTimeout = .seconds(2)
        try await withWorld(options: options) { world in
            let slow = try RawConnection(port: world.port)
            let opened = ContinuousClock.now
            var closed = false
            for byte in "GET /api/v1/me HTTP/1.1\r\nHost: x\r\n".utf8 {
                guard slow.send([byte]) else { closed = true; break }
                if slow.closedWithin(.milliseconds(300)) { closed = true; break }
            }
            #expect(closed, "the trickling client was cut off")
            #expect(opened.duration(to: .now) < .seconds(8), "after \(opened.duration(to: .now))")

            let big = try RawConnection(port: world.port)
            _ = big.send(Array("POST /api/v1/deployments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(world.admin)\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n".utf8))
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 65_536)
            var sent = 0
            while sent < 4_000_000, big.send(chunk) { sent += chunk.count }
            let answer = big.readAll(within: .seconds(10))
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(big.closedWithin(.seconds(5)), "the connection ends with the 413")
        }
    }
}

/// A blocking TCP connection for tests that speak HTTP byte by byte.
struct RawConnection {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw LedgerError(.unavailable, "cannot connect to 127.0.0.1:\(port)") }
    }

    /// Whether all of `bytes` went out (false once the peer closed).
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the peer closed (or reset) the connection within `limit`, discarding what it sent.
    func closedWithin(_ limit: Duration) -> Bool {
        let end = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < end {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            if recv(socket, &buffer, buffer.count, 0) <= 0 { return true }
        }
        return false
    }

    /// What arrives within `limit` (or until the peer closes).
    func readAll(within limit: Duration) -> String {
        let end = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < end {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { if !received.isEmpty { break } else { continue } }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
