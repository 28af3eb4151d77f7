import HTTPTypes
import Hummingbird
import Ledger
import Logging

/// Bounds every request the router answers by one deadline: past it the request is answered
/// `503` in the one JSON error shape, with its id and `Retry-After`, and its work is abandoned —
/// while PostgreSQL is away a caller gets an answer, never silence.
///
/// It wraps the router's responder rather than being a `RouterMiddleware`: a middleware's `next`
/// may not outlive its call, and a deadline must be able to answer while the work it bounds is
/// still stuck (a query to a database that stopped answering ignores cancellation). A response
/// that streams (an event stream, an audit download) is bounded until its head is ready; its
/// body runs at its own pace.
struct DeadlineResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == GatewayContext {
    let inner: Inner
    let timeout: Duration
    /// The routes whose work is bounded by its own pace instead (verifying the whole log).
    let unbounded: [(method: HTTPRequest.Method, path: String)]

    func respond(to request: Request, context: GatewayContext) async throws -> Response {
        var context = context
        context.requestID = RequestIDMiddleware.id(for: request)
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        if unbounded.contains(where: { $0.method == request.method && $0.path == request.uri.path }) {
            return try await inner.respond(to: request, context: context)
        }
        let (inner, timeout, bounded) = (inner, timeout, context)
        do {
            return try await withDeadline(timeout, { RequestTimedOut(timeout: timeout) }) {
                try await inner.respond(to: request, context: bounded)
            }
        } catch let timedOut as RequestTimedOut {
            context.logger.warning(
                "request",
                metadata: ["http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)", "http.status": "503", "error": "\(timedOut)"])
            var response = ErrorMiddleware.response(for: LedgerError(.unavailable, timedOut.description), logger: context.logger, requestID: context.requestID)
            response.headers[.xRequestID] = context.requestID
            return response
        }
    }
}

/// The deadline of a request passed before it was answered.
struct RequestTimedOut: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "no answer within \(timeout.seconds) s" }
}
