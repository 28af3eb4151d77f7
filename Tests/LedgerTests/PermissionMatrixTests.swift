import Foundation
import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Projections
import Testing

/// Every endpoint of the OpenAPI document × every role, plus no token, an expired one, a revoked
/// one and another organisation's: what may not act is 401 or 403, what may not see is 404, what
/// may is answered (a success, or the domain's own refusal), and nothing is ever a 5xx.
@Suite struct PermissionMatrixTests {
    /// A valid body for each write, naming acme's resources.
    static let bodies: [String: String] = [
        "POST /api/v1/deployments": #"{"environment_id": "shop-prod", "git_branch": "main", "git_commit": "abc1234"}"#,
        "POST /api/v1/environments/{id}/deploy": #"{"git_commit": "abc1234"}"#,
        "POST /api/v1/deployments/{id}/cancel": #"{"reason": "matrix"}"#,
        // The seeded deployment waits for nobody: an insider who may approve is told so (400), not refused.
        "POST /api/v1/deployments/{id}/approve": #"{"comment": "matrix"}"#,
        "POST /api/v1/deployments/{id}/reject": #"{"comment": "matrix"}"#,
        // Rules that demand nothing: later rows see an open environment.
        "PUT /api/v1/environments/{id}/protection": #"{"required_approvals": 0}"#,
        "PUT /api/v1/environments/{id}/freeze-windows": #"{"windows": []}"#,
        "PUT /api/v1/projects/{id}/freeze-windows": #"{"windows": []}"#,
        // Far ahead: no scheduler runs here anyway, and nothing falls due.
        "POST /api/v1/environments/{id}/schedules": #"{"id": "matrix", "git_commit": "abc1234", "at": "2100-01-01T00:00:00Z"}"#,
        "POST /api/v1/organizations": #"{"id": "matrix-org"}"#,
        "POST /api/v1/projects": #"{"id": "matrix-project", "organization_id": "acme"}"#,
        "POST /api/v1/environments": #"{"id": "matrix-env", "project_id": "shop"}"#,
        "PATCH /api/v1/environments/{id}": #"{"ssh_port": 2200}"#,
        "PATCH /api/v1/projects/{project_id}/environments/{env_id}": #"{"auto_deploy": true}"#,
        "PUT /api/v1/projects/{id}/webhook-secret": #"{"secret": "matrix-secret-0123456"}"#,
        "POST /api/v1/tokens": #"{"name": "matrix", "role": "org_member", "organization_id": "acme"}"#,
        // Port 1 on loopback refuses: the registration gets as far as probing the host, and fails there.
        "POST /api/v1/servers": #"{"id": "matrix-server", "organization_id": "acme", "host": "127.0.0.1", "port": 1, "key_id": "deploy", "host_key_fingerprint": "SHA256:h", "capacity": {"cpu_millicores": 1000, "memory_mb": 1024, "disk_gb": 10}}"#,
    ]

    /// Endpoints that list what the caller may see: another organisation gets an empty answer, not 404.
    static let collections: Set<String> = [
        "GET /api/v1/deployments", "GET /api/v1/environments", "GET /api/v1/audit", "GET /api/v1/tokens", "GET /api/v1/servers",
        "GET /api/v1/events",
        // About the token itself, and the whole log's proof (head, seals): nothing of another organisation's.
        "GET /api/v1/me", "GET /api/v1/integrity",
    ]

    @Test func everyEndpointTimesEveryRoleGetsItsStatus() async throws {
        try await DeploymentAPITests().withWorld { world in
            let ops = CommandContext(actor: "ops")
            let tokens = GatewayTests.tokens(world.db)
            let service = DeploymentService(store: world.db.store, source: "test")
            let seeded = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "5eed123"), context: ops)
            let deployment = try #require(seeded.deploymentID)
            try await ProjectionReader(client: world.db.client, logger: TestDatabase.logger)
                .awaitPosition(seeded.position, of: ProjectionCatalog.all.map(\.name), store: world.db.store)

            var principals: [(label: String, token: String?, role: Role?, insider: Bool)] = [("no token", nil, nil, false)]
            for role in Role.allCases {
                let organisation: String? = role == .portalAdmin ? nil : "acme"
                let secret = try await tokens.issue(name: role.rawValue, role: role, organisation: organisation, project: role.isProjectRole ? "shop" : nil, context: ops).secret
                principals.append((role.rawValue, secret.text, role, true))
            }
            principals.append(("another organisation's owner", world.stranger, .orgOwner, false))
            let expired = try await tokens.issue(name: "expired", role: .orgOwner, organisation: "acme", project: nil, expiresIn: .seconds(1), context: ops).secret
            let (revoked, record) = try await tokens.issue(name: "revoked", role: .orgOwner, organisation: "acme", project: nil, context: ops)
            try await tokens.revoke(record.tokenID, context: ops)
            principals += [("expired", expired.text, nil, false), ("revoked", revoked.text, nil, false)]
            try await Task.sleep(for: .milliseconds(1_100))

            // Webhooks carry no token: their signatures are tested in WebhookTests.
            for operation in OpenAPIDocument.operations where operation.path.hasPrefix("/api/v1") && !operation.path.hasPrefix("/api/v1/webhooks") {
                let key = "\(operation.method.uppercased()) \(operation.path)"
                let id = switch operation.path {
                case let path where path.hasPrefix("/api/v1/deployments/environment") || path.hasPrefix("/api/v1/environments"): "shop-prod"
                case let path where path.hasPrefix("/api/v1/organizations"): "acme"
                case let path where path.hasPrefix("/api/v1/projects"): "shop"
                case let path where path.hasPrefix("/api/v1/servers"): "web-1"
                default: deployment
                }
                let path = operation.path.replacingOccurrences(of: "{id}", with: id)
                    .replacingOccurrences(of: "{project_id}", with: "shop").replacingOccurrences(of: "{env_id}", with: "shop-prod")
                    .replacingOccurrences(of: "{schedule_id}", with: "matrix")
                // Destroying would change what the later rows see: its permission is checked with a missing environment.
                var target = key.hasPrefix("DELETE")
                    ? path.replacingOccurrences(of: "shop-prod", with: "no-such-env").replacingOccurrences(of: "web-1", with: "no-such-server") : path
                // The live stream answers for as long as one listens: here, only what there is so far.
                if key == "GET /api/v1/events" { target += "?follow=false" }
                if key == "GET /api/v1/compliance/report" { target += "?environment_id=shop-prod" }
                for principal in principals {
                    let (status, _, raw) = try await world.send(operation.method.uppercased(), target, token: principal.token, body: Self.bodies[key])
                    let label = "\(key) as \(principal.label)"
                    #expect(status < 500, "\(label): \(raw.prefix(200))")
                    guard let role = principal.role else {
                        #expect(status == 401, "\(label)")
                        continue
                    }
                    guard let permission = operation.permission, role.permissions.contains(permission) else {
                        #expect(status == 403, "\(label): \(raw.prefix(200))")
                        continue
                    }
                    if !principal.insider {
                        #expect(status == (Self.collections.contains(key) ? 200 : 404), "\(label): \(raw.prefix(200))")
                    } else {
                        #expect(![401, 403].contains(status), "\(label): \(raw.prefix(200))")
                        if !key.hasPrefix("DELETE") { #expect(status != 404, "\(label): \(raw.prefix(200))") }
                    }
                }
            }
        }
    }
}
