import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Projections

/// What operators and their tools read without a token: health and readiness probes, the
/// Prometheus metrics, and the OpenAPI document.
struct OperationsController: Sendable {
    let reader: ProjectionReader
    let store: EventStore
    let live: GatewayLive
    let document: [UInt8]?

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/health", use: alive)
        // Kubernetes-style probes: alive (the process answers), ready (PostgreSQL answers and
        // every migration this build knows is applied).
        routes.get("/healthz", use: alive)
        routes.get("/readyz", use: ready)
        routes.get("/metrics", use: metrics)
        routes.get("/openapi.json", use: openAPI)
        return routes
    }

    /// `GET /health`, `GET /healthz`: the process answers.
    @Sendable func alive(_ request: Request, context: GatewayContext) async throws -> Response {
        try ContentEncoding.jsonResponse(Array(#"{"status":"ok"}"#.utf8), acceptEncoding: nil)
    }

    /// `GET /readyz`: PostgreSQL answers and every migration this build knows is applied.
    @Sendable func ready(_ request: Request, context: GatewayContext) async throws -> Response {
        let pending = try await SchemaMigrator(client: reader.client, logger: context.logger).pending()
        guard pending.isEmpty else {
            throw APIError(.serviceUnavailable, "not_ready", "migrations not applied yet: \(pending.map(String.init).joined(separator: ", "))")
        }
        return try ContentEncoding.jsonResponse(Array(#"{"status":"ready"}"#.utf8), acceptEncoding: nil)
    }

    /// `GET /metrics`: Prometheus's text format.
    @Sendable func metrics(_ request: Request, context: GatewayContext) async throws -> Response {
        let statuses = try await reader.projectionStatuses(store: store)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = live.metrics.render(
            head: try await store.headPosition(), projections: statuses, jobs: (try? await reader.executorJobCounts()) ?? [:],
            streams: live.feed.subscriberCount, redis: live.redisAvailable)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }

    /// `GET /openapi.json`.
    @Sendable func openAPI(_ request: Request, context: GatewayContext) async throws -> Response {
        guard let document else { throw APIError(.internalServerError, "internal", "the API document could not be built") }
        return try ContentEncoding.jsonResponse(document, acceptEncoding: nil)
    }
}
