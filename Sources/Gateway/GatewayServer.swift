import Foundation
import Hummingbird
import Ledger
import Logging
import NIOCore
import Projections
import ServiceLifecycle
import Synchronization

/// The HTTP API: the deployment commands and the read models behind bearer tokens with roles,
/// one JSON error shape, request ids, and the OpenAPI document that describes it.
///
/// It is a `Service`: in a `ServiceGroup` a graceful shutdown stops it accepting and lets it
/// answer what it has begun. Every request is answered within ``requestTimeout``: while
/// PostgreSQL is away a request gets `503 database_unavailable` (JSON), never silence.
public struct GatewayServer: Service {
    public let reader: ProjectionReader
    public let store: EventStore
    public let host: String
    public let port: Int
    public let requestTimeout: Duration
    /// Checks the bearer token of every `/api/v1` request.
    public let tokens: TokenStore
    public let logger: Logger
    let onListening: @Sendable (Int) async -> Void
    let live: GatewayLive

    public init(
        reader: ProjectionReader, store: EventStore, tokens: TokenStore, host: String = "127.0.0.1", port: Int = 8480,
        requestTimeout: Duration = .seconds(10), options: GatewayOptions = .init(), logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.init(
            reader: reader, store: store, tokens: tokens, host: host, port: port, requestTimeout: requestTimeout,
            live: GatewayLive(options: options, store: store, logger: logger), logger: logger, onListening: onListening)
    }

    private init(
        reader: ProjectionReader, store: EventStore, tokens: TokenStore, host: String, port: Int, requestTimeout: Duration,
        live: GatewayLive, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void
    ) {
        self.live = live
        self.reader = reader
        self.store = store
        self.tokens = tokens
        self.host = host
        self.port = port
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.onListening = onListening
    }

    /// Everything the API needs running, for the composer's `ServiceGroup`: the token cache
    /// (revocations heard), the server, and the live side (feed, Redis relay). They start
    /// together; a graceful shutdown stops them in reverse order — the live side first, which
    /// ends every event stream (clients resume with `Last-Event-ID`), so the server can finish
    /// what it began and close at once.
    public var services: [any Service] { [TokenCacheService(cache: tokens.cache), self, GatewayLiveService(live: live)] }

    /// Serves until the service group shuts down gracefully (or the task is cancelled); runs
    /// beside the other ``services``, which it does not start itself.
    public func run() async throws {
        let listening = ListeningFlag()
        // A connection that sends no complete request head (or stays idle between requests)
        // for this long is closed: 500 clients trickling a byte a second hold nothing for long.
        // A response in progress (an event stream) is never cut by it.
        let application = Application(
            router: router(), server: .http1(configuration: .init(
                additionalChannelHandlers: [ClientHangUpHandler()], idleTimeout: .milliseconds(Int64(live.idleTimeout.wholeMilliseconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "ledger"),
            onServerRunning: { [port, onListening] channel in
                listening.set()
                await onListening(channel.localAddress?.port ?? port)
            }, logger: logger)
        do {
            try await application.run()
        } catch where !listening.isSet {
            let reason = (error as? IOError)?.errnoCode == EADDRINUSE ? "the address is in use" : "\(error)"
            throw LedgerError(
                .invalidArgument, "the HTTP API cannot listen on \(host):\(port) (\(reason)); choose another with --listen HOST:PORT, or --listen off")
        }
    }

    /// Serves on its own until the calling task is cancelled, which shuts it down gracefully;
    /// `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let server = GatewayServer(
            reader: reader, store: store, tokens: tokens, host: host, port: port, requestTimeout: requestTimeout, live: live, logger: logger,
            onListening: onListening)
        var configuration = ServiceGroupConfiguration(services: server.services.map { .init(service: $0) }, logger: logger)
        // A client that stopped reading must not hold the shutdown: past this, connections are cut.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        // Its own task, so that cancelling the caller becomes a graceful shutdown rather than
        // a cancellation torn through every open connection.
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// Every route the server answers, as `METHOD /path/{param}` (OpenAPI's spelling).
    public var registeredRoutes: Set<String> {
        Set(router().routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue) \(Self.shape(path))"
        })
    }

    /// A path with its parameters unnamed (`/projects/{}/environments/{}`): the router needs one
    /// parameter name per segment across routes, the document keeps the seed's names.
    static func shape(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("{") && $0.hasSuffix("}") ? "{}" : String($0) }.joined(separator: "/")
    }

    /// Every operation the OpenAPI document describes, spelt as ``registeredRoutes``.
    public static var documentedRoutes: Set<String> {
        Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \(shape($0.path))" })
    }

    func router() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(operations: OpenAPIDocument.operations))
        let reader = reader, store = store, logger = logger, timeout = requestTimeout, live = live
        router.get("/health") { _, _ in
            try ContentEncoding.jsonResponse(Array(#"{"status":"ok"}"#.utf8), acceptEncoding: nil)
        }
        // Kubernetes-style probes: alive (the process answers), ready (PostgreSQL answers and
        // every migration this build knows is applied).
        router.get("/healthz") { _, _ in
            try ContentEncoding.jsonResponse(Array(#"{"status":"ok"}"#.utf8), acceptEncoding: nil)
        }
        router.get("/readyz") { _, context in
            await Self.answering(context, within: timeout) {
                let pending = try await SchemaMigrator(client: reader.client, logger: logger).pending()
                guard pending.isEmpty else {
                    throw APIError(.serviceUnavailable, "not_ready", "migrations not applied yet: \(pending.map(String.init).joined(separator: ", "))")
                }
                return try ContentEncoding.jsonResponse(Array(#"{"status":"ready"}"#.utf8), acceptEncoding: nil)
            }
        }
        router.get("/metrics") { _, context in
            await Self.answering(context, within: timeout) {
                let statuses = try await reader.projectionStatuses(store: store)
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                let text = live.metrics.render(
                    head: try await store.headPosition(), projections: statuses, jobs: (try? await reader.executorJobCounts()) ?? [:],
                    streams: live.feed.subscriberCount, redis: live.redisAvailable)
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        let document = try? OpenAPIDocument.json()
        router.get("/openapi.json") { _, _ in
            guard let document else { throw APIError(.internalServerError, "internal", "the API document could not be built") }
            return try ContentEncoding.jsonResponse(document, acceptEncoding: nil)
        }
        // Signed by the project's webhook secret rather than an API token.
        addWebhookRoutes(to: router)
        addDashboardRoutes(to: router)
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(tokens: tokens, timeout: timeout))
        addDeploymentRoutes(to: api)
        addReadRoutes(to: api)
        addSetupRoutes(to: api)
        addTokenRoutes(to: api)
        addServerRoutes(to: api)
        addEventStreamRoutes(to: api)
        addSessionRoutes(to: api)
        api.get("/deployments/:id/logs") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let query = try LogsQuery(request.uri.queryParameters)
                let id = context.parameters.get("id") ?? ""
                // What this token may not see is answered as not there at all.
                guard let deployment = try await reader.deployment(id),
                    principal.sees(organisation: deployment.organisationID, project: deployment.projectID)
                else { throw APIError.notFound("no deployment '\(id)'") }
                let entries = try await reader.logs(deployment: id, level: query.level, step: query.step, skip: query.skip, limit: query.limit)
                let page = LogsPage(deployment: deployment, skip: query.skip, limit: query.limit, entries: entries)
                return try ContentEncoding.jsonResponse(Array(try LedgerJSON.encode(page)), acceptEncoding: request.headers[.acceptEncoding])
            }
        }
        return router
    }

    /// Runs `work` within the request deadline, as all of a request's work runs: past it the
    /// work is abandoned and the request answered 503.
    static func bounded<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDeadline(timeout, { LedgerError(.unavailable, "no answer within \(timeout.seconds) s") }, work)
    }

    /// Runs a handler within `timeout`, answering any error it throws as ``errorResponse(_:logger:requestID:)``
    /// does — logged through the request's logger, which carries its id.
    static func answering(
        _ context: GatewayContext, within timeout: Duration, _ handler: @escaping @Sendable () async throws -> Response
    ) async -> Response {
        do {
            return try await bounded(timeout, handler)
        } catch {
            return errorResponse(error, logger: context.logger, requestID: context.requestID)
        }
    }

    /// The JSON error response for `error`: a refusal with its own status and code (from
    /// ``ErrorTable``), a database that cannot be reached or did not answer in time as 503, and
    /// anything else as a 500 whose body says nothing internal (the error goes to the log).
    static func errorResponse(_ error: any Error, logger: Logger, requestID: String?) -> Response {
        if let error = error as? APIError { return error.response(requestID: requestID) }
        let entry = ErrorTable.entry(for: error)
        switch entry.httpStatus {
        case 503:
            // A database that is away says only that; another coded error (a host that cannot be reached) says what.
            let database = entry.code == "database_unavailable" || entry.code == "timed_out"
            logger.warning("request failed: unavailable", metadata: ["error": "\(database ? PostgresErrorText.safe(error) : "\(error)")"])
            let message = database ? "the database is unavailable; try again shortly" : (error as? any CodedError)?.description ?? "unavailable; try again shortly"
            var response = APIError(.serviceUnavailable, entry.code, message).response(requestID: requestID)
            response.headers[.retryAfter] = "5"
            return response
        case 500...:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal", "the request failed; see the server log").response(requestID: requestID)
        default:
            // A refusal with its own code and a message safe to show.
            let message = (error as? any CodedError)?.description ?? "the request was refused"
            return APIError(HTTPResponse.Status(code: entry.httpStatus), entry.code, message).response(requestID: requestID)
        }
    }
}

/// Set once the server is accepting connections: an error before that is a failure to start.
private final class ListeningFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// The query parameters of the logs endpoint, checked: a bad value is a 400, not a guess.
struct LogsQuery {
    var level: LogLevel?
    var step: String?
    var skip = 0
    var limit = ProjectionReader.maximumLogPage

    init(_ parameters: Parameters) throws {
        if let text = parameters["level"] {
            guard let level = LogLevel(rawValue: String(text)) else {
                throw APIError.badRequest("level must be one of debug, info, warning, error (got '\(text)')")
            }
            self.level = level
        }
        step = parameters["step"].map(String.init)
        if let text = parameters["skip"] {
            guard let skip = Int(text), skip >= 0 else { throw APIError.badRequest("skip must be a whole number ≥ 0 (got '\(text)')") }
            self.skip = skip
        }
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...ProjectionReader.maximumLogPage).contains(limit) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(ProjectionReader.maximumLogPage) (got '\(text)')")
            }
            self.limit = limit
        }
    }
}
