import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Projections

/// API tokens over the API, for organisation owners (their organisation's) and portal admins:
/// issue (the secret is in this one answer only), list (never secrets), revoke.
extension GatewayServer {
    func addTokenRoutes(to api: RouterGroup<GatewayContext>) {
        let tokens = tokens, logger = logger, timeout = requestTimeout, reader = reader
        let keys = IdempotencyKeys(client: reader.client, logger: logger)

        api.post("/tokens") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageTokens)
                let raw = try await RequestBody.read(request)
                let body = try RequestBody.decode(TokenRequest.self, raw, of: request)
                // An owner issues tokens of its own organisation, never more powerful than itself.
                if let organisation = principal.organisation {
                    guard body.organizationID == organisation else { throw APIError.notFound("no organization '\(body.organizationID ?? "")'") }
                    guard body.role != .portalAdmin else { throw APIError.forbidden(.administer) }
                }
                let days = body.expiresInDays ?? 90
                guard (1...366).contains(days) else { throw APIError(.unprocessableContent, "invalid", "expires_in_days must be from 1 to 366") }
                if request.headers[HTTPField.Name("Idempotency-Key")!] != nil {
                    throw APIError.badRequest("a token is shown once: issuing one cannot be retried with an Idempotency-Key")
                }
                let (secret, record) = try await tokens.issue(
                    name: body.name, role: body.role, organisation: body.organizationID, project: body.projectID,
                    expiresIn: .seconds(Double(days * 86_400)), context: try await context.commandContext(principal, request, body: raw, keys: keys))
                return try JSONResponse.encode(IssuedTokenBody(token: secret.text, record: TokenBody(record)), status: .created)
            }
        }
        api.get("/tokens") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageTokens)
                let asked = request.uri.queryParameters["organization_id"].map(String.init)
                let organisation = principal.organisation ?? asked
                if let own = principal.organisation, let asked, asked != own { return try JSONResponse.encode([TokenBody](), status: .ok) }
                return try JSONResponse.encode(try await tokens.list(organisation: organisation).map(TokenBody.init), status: .ok)
            }
        }
        api.delete("/tokens/:id") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.manageTokens)
                let id = context.parameters.get("id") ?? ""
                try await tokens.revoke(id, context: try await context.commandContext(principal, request, body: ByteBuffer(string: id), keys: keys))
                return Response(status: .noContent)
            }
        }
    }
}

/// `POST /api/v1/tokens`.
struct TokenRequest: Decodable, Sendable {
    var name: String
    var role: Role
    var organizationID: String?
    var projectID: String?
    var expiresInDays: Int?

    enum CodingKeys: String, CodingKey {
        case name, role
        case organizationID = "organization_id"
        case projectID = "project_id"
        case expiresInDays = "expires_in_days"
    }
}

/// A token as listed: never its secret.
struct TokenBody: Encodable, Sendable {
    var id: String
    var name: String
    var hint: String
    var role: String
    var organizationID: String?
    var projectID: String?
    var expiresAt: String
    var lastUsedAt: String?
    var revoked: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, hint, role, revoked
        case organizationID = "organization_id"
        case projectID = "project_id"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
    }

    init(_ record: TokenStore.Record) {
        id = record.tokenID
        name = record.name
        hint = record.hint
        role = record.role.rawValue
        organizationID = record.organisationID
        projectID = record.projectID
        expiresAt = Timestamps.format(record.expiresAtMicroseconds)
        lastUsedAt = record.lastUsedAtMicroseconds.map(Timestamps.format)
        revoked = record.revoked
    }
}

/// The answer to issuing a token: the secret, this once.
struct IssuedTokenBody: Encodable, Sendable {
    var token: String
    var record: TokenBody
}
