import HTTPTypes
import Hummingbird
import Ledger
import Logging

/// Whatever a handler or a middleware below throws becomes the one JSON error shape with the
/// request's id, logged through the request's logger: nothing reaches the client as
/// Hummingbird's own plain-text error.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            // The router's own refusals (no such route, a malformed request line…) keep their status.
            let code = error.status == .notFound ? "not_found" : "bad_request"
            return APIError(error.status, code, error.body ?? error.status.reasonPhrase).response(requestID: context.requestID)
        } catch {
            return Self.response(for: error, logger: context.logger, requestID: context.requestID)
        }
    }

    /// The JSON error response for `error`: a refusal with its own status and code (from
    /// ``ErrorTable`` and ``HTTPStatuses``), a database that cannot be reached or did not answer in time as 503, and
    /// anything else as a 500 whose body says nothing internal (the error goes to the log).
    static func response(for error: any Error, logger: Logger, requestID: String?) -> Response {
        if let error = error as? APIError { return error.response(requestID: requestID) }
        let entry = ErrorTable.entry(for: error)
        let status = HTTPStatuses.status(for: entry)
        switch status {
        case 503:
            // A database that is away says only that; another coded error (a host that cannot be reached) says what.
            let database = entry.code == "database_unavailable" || entry.code == "timed_out"
            logger.warning("request failed: unavailable", metadata: ["error": "\(database ? PostgresErrorText.safe(error) : "\(error)")"])
            let message = database ? "the database is unavailable; try again shortly" : (error as? any CodedError)?.description ?? "unavailable; try again shortly"
            var response = APIError(.serviceUnavailable, entry.code, message).response(requestID: requestID)
            response.headers[.retryAfter] = "5"
            return response
        case 500...:
            // Work abandoned past the request's deadline (already answered 503) is no failure of its own.
            if Task.isCancelled {
                logger.debug("request abandoned", metadata: ["error": "\(error)"])
            } else {
                logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return APIError(.internalServerError, "internal", "the request failed; see the server log").response(requestID: requestID)
        default:
            // A refusal with its own code and a message safe to show.
            let message = (error as? any CodedError)?.description ?? "the request was refused"
            return APIError(HTTPResponse.Status(code: status), entry.code, message).response(requestID: requestID)
        }
    }
}
