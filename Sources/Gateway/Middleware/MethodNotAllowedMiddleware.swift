import HTTPTypes
import Hummingbird

/// Answers a request no route takes in the API's own JSON shape: a known path asked with a
/// method it does not take is `405 method_not_allowed` with `Allow` naming the methods it does
/// (the router alone says 404), and an unknown path is `404 not_found`.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    /// Every documented operation as its method and path segments (`{id}` matches any segment).
    private let routes: [(method: String, segments: [Substring])]

    init(operations: [OpenAPIDocument.Operation]) {
        routes = operations.map { ($0.method.uppercased(), $0.path.split(separator: "/")) }
    }

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let allowed = methods(for: path)
            guard !allowed.isEmpty else {
                return APIError.notFound("no endpoint \(path); see /openapi.json").response(requestID: context.requestID)
            }
            var response = APIError(
                .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed on \(path); it takes \(allowed.joined(separator: ", "))"
            ).response(requestID: context.requestID)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    /// The methods the routes matching `path` take.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        var methods = Set<String>()
        for route in routes where route.segments.count == segments.count {
            if zip(route.segments, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { methods.insert(route.method) }
        }
        return methods.sorted()
    }
}
