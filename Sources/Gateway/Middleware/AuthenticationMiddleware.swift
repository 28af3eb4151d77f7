import HTTPTypes
import Hummingbird
import Ledger
import LedgerAccess
import Logging

/// Checks the bearer token of every `/api/v1` request: a missing, malformed, unknown, expired
/// or revoked token is a 401 and the handler never runs.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let tokens: TokenStore

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard let presented = Self.bearerToken(request.headers[.authorization]) else {
            return APIError.unauthenticated.response(requestID: context.requestID)
        }
        let principal: Principal
        if let cached = tokens.cachedPrincipal(presented) {
            principal = cached
        } else {
            // Within the request's deadline, as all its work (``DeadlineResponder``).
            guard let verified = try await tokens.verify(presented) else {
                return APIError.unauthenticated.response(requestID: context.requestID)
            }
            principal = verified
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "token.id"] = "\(principal.tokenID)"
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer TOKEN` header — the scheme's name in any case
    /// (RFC 9110), spaces and tabs around the token ignored — or nil. On bytes: every API
    /// request comes through here.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let scheme = "bearer ".utf8
        var bytes = header.utf8[...]
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ given, expected in
                ((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(given) ? given + 0x20 : given) == expected
            })
        else { return nil }
        bytes = bytes.dropFirst(scheme.count)
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        while let first = bytes.first, blank(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, blank(last) { bytes = bytes.dropLast() }
        return bytes.isEmpty ? nil : String(Substring(bytes))
    }
}
