import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerAccess
import Logging

/// Gives every request an id and every response its `X-Request-Id`, and writes the access log
/// (method, path, status, duration, request id — at info level; never headers or bodies).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        // Given already when the request deadline wraps the router (``DeadlineResponder``).
        if context.requestID.isEmpty {
            context.requestID = Self.id(for: request)
            context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        }
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

    /// The request's id: the caller's `X-Request-Id` when well-formed, else a new one.
    static func id(for request: Request) -> String { wellFormed(request.headers[.xRequestID]) ?? RequestIDs.next() }

    /// The caller's id when it is 1–128 characters of letters, digits, `.`, `_`, `-`.
    static func wellFormed(_ text: String?) -> String? {
        guard let text, (1...128).contains(text.utf8.count),
            text.utf8.allSatisfy({ TokenSecret.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        return text
    }
}
