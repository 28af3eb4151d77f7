import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Logging
import NIOCore

/// What the gateway knows about one request besides the request itself: its id (the caller's
/// `X-Request-Id` when well-formed, else a new one) and, on `/api/v1`, the token's principal.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var principal: Principal?
    /// The request's connection (a live stream watches it for the client hanging up).
    public let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The principal, which the authentication middleware guarantees on `/api/v1` routes.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated }
        return principal
    }

    /// The principal, if its role has `permission`.
    func require(_ permission: Permission) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.may(permission) else { throw APIError.forbidden(permission) }
        return principal
    }
}

/// Gives every request an id and every response its `X-Request-Id`, and writes the access log
/// (method, path, status, duration, request id — at info level; never headers or bodies).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.wellFormed(request.headers[.xRequestID]) ?? RequestIDs.next()
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        // No identifier or filter may hold NUL: PostgreSQL text cannot, and it is never meaningful.
        if request.uri.path.utf8.contains(0) || request.uri.queryParameters.contains(where: { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) }) {
            var refused = APIError.badRequest("the path and query may not contain NUL characters").response(requestID: context.requestID)
            refused.headers[.xRequestID] = context.requestID
            return refused
        }
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.xRequestID] = context.requestID
        // The access log: what was asked and answered, never a header (tokens) or a body.
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)", "http.status": "\(response.status.code)",
                "http.duration_ms": "\(((ContinuousClock.now - started) / .milliseconds(1)).rounded())",
            ])
        return response
    }

    /// The caller's id when it is 1–128 characters of letters, digits, `.`, `_`, `-`.
    static func wellFormed(_ text: String?) -> String? {
        guard let text, (1...128).contains(text.utf8.count),
            text.utf8.allSatisfy({ TokenSecret.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        return text
    }
}

/// Checks the bearer token of every `/api/v1` request: a missing, malformed, unknown, expired
/// or revoked token is a 401 and the handler never runs.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let tokens: TokenStore
    let timeout: Duration

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard let presented = Self.bearerToken(request.headers[.authorization]) else {
            return APIError.unauthenticated.response(requestID: context.requestID)
        }
        let tokens = tokens
        let principal: Principal
        if let cached = tokens.cachedPrincipal(presented) {
            principal = cached
        } else {
            do {
                guard let verified = try await GatewayServer.bounded(timeout, { try await tokens.verify(presented) }) else {
                    return APIError.unauthenticated.response(requestID: context.requestID)
                }
                principal = verified
            } catch {
                return GatewayServer.errorResponse(error, logger: context.logger, requestID: context.requestID)
            }
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

extension HTTPField.Name {
    /// `X-Request-Id`: the id a caller gives a request, echoed on its response.
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    /// `X-Next-Cursor`: the opaque cursor of a list's next page.
    static let xNextCursor = HTTPField.Name("X-Next-Cursor")!
    /// `X-Total-Count`: how many items a list's filters match in all (where that is cheap to count).
    static let xTotalCount = HTTPField.Name("X-Total-Count")!
}
