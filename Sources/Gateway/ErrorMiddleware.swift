import Hummingbird

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
            return GatewayServer.errorResponse(error, logger: context.logger, requestID: context.requestID)
        }
    }
}
