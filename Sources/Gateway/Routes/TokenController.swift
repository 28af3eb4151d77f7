import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore

/// API tokens, for organisation owners (their organisation's) and portal admins: issue (the
/// secret is in this one answer only), list (never secrets), revoke; and `GET /me`, who the
/// token is and what it may do (for the dashboard to offer only that).
struct TokenController: Sendable {
    let tokens: TokenStore
    let keys: IdempotencyKeys

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.post("/tokens", use: issue)
        routes.get("/tokens", use: list)
        routes.delete("/tokens/:id", use: revoke)
        routes.get("/me", use: me)
        return routes
    }

    /// `POST /tokens`: an owner issues tokens of its own organisation, never more powerful than itself.
    @Sendable func issue(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageTokens)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(TokenRequest.self, raw, of: request)
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
            name: body.name, role: body.role, organisation: body.organizationID, project: body.projectID, user: body.user,
            expiresIn: .seconds(Double(days * 86_400)), context: try await context.commandContext(principal, request, body: raw, keys: keys))
        return try JSONResponse.encode(IssuedTokenBody(token: secret.text, record: TokenBody(record)), status: .created)
    }

    /// `GET /tokens?organization_id=`.
    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageTokens)
        let asked = request.uri.queryParameters["organization_id"].map(String.init)
        if let own = principal.organisation, let asked, asked != own { return try JSONResponse.encode([TokenBody](), status: .ok) }
        return try JSONResponse.encode(try await tokens.list(organisation: principal.organisation ?? asked).map(TokenBody.init), status: .ok)
    }

    /// `DELETE /tokens/{id}`.
    @Sendable func revoke(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.manageTokens)
        let id = try context.parameters.require("id")
        try await tokens.revoke(id, context: try await context.commandContext(principal, request, body: ByteBuffer(string: id), keys: keys))
        return Response(status: .noContent)
    }

    /// `GET /me`.
    @Sendable func me(_ request: Request, context: GatewayContext) async throws -> Response {
        try JSONResponse.encode(MeBody(try context.requirePrincipal()), status: .ok)
    }
}
