import Hummingbird
import Ledger
import LedgerAccess
import LedgerDomain
import NIOCore

/// A write's first steps, the same for every route: the token's permission, the body read
/// within its limit and checked against the document (a body of `Body`), whatever the route
/// admits the request by (a rate limit), and then the command context (idempotency key
/// checked) — in that order, so a refused request counts against nothing and records no key.
struct WriteRequest<Body> {
    let principal: Principal
    let body: Body
    let context: CommandContext
}

extension GatewayContext {
    func write<Body: Decodable>(
        _ permission: Permission, _ request: Request, body: Body.Type, allowEmpty: Bool = false, keys: IdempotencyKeys,
        admit: (Principal) async throws -> Void = { _ in }
    ) async throws -> WriteRequest<Body> {
        let principal = try require(permission)
        let raw = try await RequestBody.read(request)
        let body = try RequestBody.decode(Body.self, raw, of: request, allowEmpty: allowEmpty)
        try await admit(principal)
        return WriteRequest(principal: principal, body: body, context: try await commandContext(principal, request, body: raw, keys: keys))
    }

    /// A write that takes no body worth reading (whatever is sent still keys its idempotency).
    func write(
        _ permission: Permission, _ request: Request, keys: IdempotencyKeys, admit: (Principal) async throws -> Void = { _ in }
    ) async throws -> WriteRequest<NoBody> {
        let principal = try require(permission)
        let raw = try await RequestBody.read(request)
        try await admit(principal)
        return WriteRequest(principal: principal, body: NoBody(), context: try await commandContext(principal, request, body: raw, keys: keys))
    }
}

/// The body of a write that reads none.
struct NoBody {}
