import Foundation
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
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
        // A read waiting for the projections says why (projection_behind) before the request's deadline cuts it.
        var reader = reader
        reader.awaitTimeout = min(reader.awaitTimeout, requestTimeout / 2)
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
        // Every request is bounded by one deadline, around the whole router.
        let responder = DeadlineResponder(inner: router().buildResponder(), timeout: requestTimeout, unbounded: Self.unbounded)
        let application = Application(
            responder: responder, server: .http1(configuration: .init(
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
            // Not awaited (a cancellation handler cannot wait): the shutdown it asks for ends
            // `serving`, which is awaited above.
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

    /// The routes bounded by their own pace rather than the request deadline: verifying the
    /// whole log reads every event.
    static let unbounded: [(method: HTTPRequest.Method, path: String)] = [(.get, "/api/v1/verify"), (.get, "/api/v1/compliance/report")]

    /// The router: every request gets an id, metrics and the one JSON error shape; `/api/v1`
    /// (but its webhooks, signed by a project's secret) takes a bearer token; each area's
    /// operations are one controller's routes.
    func router() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(operations: OpenAPIDocument.operations))
        let service = DeploymentService(store: store, source: "api")
        let keys = IdempotencyKeys(client: reader.client, logger: logger)
        let secrets = WebhookSecrets(service: service, client: reader.client, logger: logger)
        router.addRoutes(OperationsController(reader: reader, store: store, live: live, document: try? OpenAPIDocument.json()).routes)
        router.addRoutes(DashboardController().routes)
        let pushes = DeploymentService(store: store, source: "webhook")
        router.addRoutes(
            WebhookController(
                service: pushes, secrets: WebhookSecrets(service: pushes, client: reader.client, logger: logger), reader: reader,
                limiter: live.limiter, hotReads: live.feed.hotReads
            ).routes, atPath: "/api/v1/webhooks")
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(tokens: tokens))
        api.addRoutes(DeploymentController(reader: reader, store: store, keys: keys, live: live).routes)
        api.addRoutes(EnvironmentController(reader: reader, store: store, service: service, keys: keys).routes)
        api.addRoutes(SetupController(reader: reader, store: store, service: service, keys: keys, secrets: secrets).routes)
        api.addRoutes(ServerController(service: service, keys: keys, keyring: live.keyring).routes)
        api.addRoutes(TokenController(tokens: tokens, keys: keys).routes)
        api.addRoutes(AuditController(reader: reader, store: store).routes)
        api.addRoutes(EventStreamController(reader: reader, store: store, live: live, timeout: requestTimeout).routes)
        return router
    }
}

/// Set once the server is accepting connections: an error before that is a failure to start.
private final class ListeningFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

