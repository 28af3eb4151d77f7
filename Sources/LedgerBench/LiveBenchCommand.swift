import CommandRuntime
import ArgumentParser
import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
import Logging
import LedgerRedis
import LoopbackSSH
import NIOCore
import NIOPosix
import PostgresNIO
import Projections
import Synchronization

/// `ledger-bench live`: many SSE clients on one gateway (a `ledger serve` child process with a
/// private Redis) while events are appended at a steady rate — the delay from each event's
/// commit to its delivery at every client, against PostgreSQL's own LISTEN/NOTIFY wake-up
/// measured in the same run, and the gateway's memory per idle client.
struct LiveBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live", abstract: "Benchmark live event streams: commit-to-delivery delay at many SSE clients against LISTEN/NOTIFY.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Concurrent SSE clients.") var clients = 1_000
    @Option(help: "Events appended per second.") var rate = 20
    @Option(help: "Seconds of appending.") var seconds = 10
    @Option(name: .customLong("storm-clients"), help: "Streams that connect at once, without a position, while a GET loop runs.") var stormClients = 1_000
    @Flag(help: "Keep the benchmark's database afterwards (its URL goes to standard error).") var keep = false

    func validate() throws {
        guard clients > 0, rate > 0, seconds > 0, stormClients > 0 else {
            throw ValidationError("--clients, --rate, --seconds and --storm-clients must be positive")
        }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [clients, rate, seconds, stormClients, keep, quiet = connection.quiet] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger, keep: keep) { database, client in
                    let status: @Sendable (String) -> Void = { if !quiet { printError("bench: \($0)") } }
                    try await LiveBench(
                        database: database, client: client, clients: clients, rate: rate, seconds: seconds, stormClients: stormClients,
                        logger: session.logger, status: status
                    ).run()
                }
            }
        }
    }
}

/// One run of ``LiveBenchCommand``.
struct LiveBench: Sendable {
    let database: BenchDatabase
    let client: PostgresClient
    let clients: Int
    let rate: Int
    let seconds: Int
    let stormClients: Int
    let logger: Logger
    let status: @Sendable (String) -> Void

    func run() async throws {
        let store = EventStore(client: client, logger: logger)
        let service = DeploymentService(store: store, source: "bench")
        let ops = CommandContext(actor: "bench")
        try await service.createOrganisation(id: "bench", name: "Bench", context: ops)
        try await service.createProject(id: "app", organisation: "bench", name: "App", context: ops)
        try await service.createEnvironment(
            id: "live", project: "app", name: "live",
            configuration: EnvironmentConfiguration(host: "10.0.0.1", resources: Resources(cpuMillicores: 10, memoryMB: 10, diskGB: 1)), context: ops)
        let deployment = try await service.deploy(environment: "live", git: GitReference(branch: "main", commit: "abcdef1"), context: ops).deploymentID!
        let worker = FencedExecution(executor: "bench", lease: "bench-lease")
        try await service.execute(deployment: deployment, context: ops) { state, _ in try worker.claim(state, pipeline: "deploy", steps: nil) }
        let token = try await TokenStore(service: service, client: client, logger: logger)
            .issue(name: "bench", role: .orgAdmin, organisation: "bench", project: nil, context: ops).secret.text

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-live-\(UUID().uuidString.prefix(8))").path
        let redis = PrivateRedisServer(directory: URL(fileURLWithPath: scratch).appendingPathComponent("redis"))
        _ = try await redis.start(log: status)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let port = try freePort()
        status("starting a gateway (ledger serve) with a private Redis…")
        let gateway = try await GatewayProcess.start(
            arguments: "serve --listen 127.0.0.1:\(port) --redis \(redis.address) --deploy-rate-limit off --quiet", databaseURL: database.url, scratch: scratch)
        do {
            let result = try await keepingProjectionsCurrent(store: store) {
                try await measure(store: store, service: service, worker: worker, deployment: deployment, token: token, port: port, gateway: gateway)
            }
            gateway.stop()
            await redis.stop()
            printLine(result.render())
        } catch {
            gateway.stop()
            await redis.stop()
            let log = (try? String(contentsOfFile: scratch + "/gateway.log", encoding: .utf8)) ?? ""
            if !log.isEmpty { printError("bench: the gateway's output:\n" + log.split(separator: "\n").suffix(20).joined(separator: "\n")) }
            throw error
        }
    }

    /// Runs `body` while this process keeps the read models current, as `ledger project` beside
    /// `ledger serve` would (the served gateway's reads wait for them; it never applies events).
    private func keepingProjectionsCurrent<T: Sendable>(store: EventStore, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let client = client, logger = logger
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await store.headListener.run(); return nil }
            group.addTask {
                let runners = ProjectionCatalog.all.map { ProjectionRunner(projection: $0, store: store, client: client, logger: logger) }
                try await ProjectionGroupRunner(runners: runners, logger: logger).run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    private func measure(
        store: EventStore, service: DeploymentService, worker: FencedExecution, deployment: String, token: String, port: Int, gateway: GatewayProcess
    ) async throws -> BenchReport {
        try await gateway.waitUntilReady(port: port)
        let storm = try await connectStorm(service: service, worker: worker, deployment: deployment, token: token, port: port)
        let idleBase = gateway.residentKilobytes()
        let head = try await store.headPosition()
        let deliveries = DeliveryLog()
        let channels = try await openStreams(after: head, token: token, port: port, log: deliveries)
        defer { for channel in channels { channel.close(promise: nil) } }
        try await Task.sleep(for: .seconds(2))
        let idlePerClient = Double(gateway.residentKilobytes() - idleBase) / Double(clients)

        // The baseline: PostgreSQL's own wake-up, LISTEN on the channel every commit notifies.
        let notified = DeliveryLog()
        // Not awaited: it listens while the events below are appended, and is cancelled on return (the defer below).
        let listener = Task {
            try await client.withLiveConnection { connection in
                try await connection.listen(on: EventStore.notificationChannel) { notifications in
                    for try await notification in notifications {
                        if let position = Int64(notification.payload) { notified.record(position, at: Date().timeIntervalSince1970) }
                    }
                }
            }
        }
        defer { listener.cancel() }
        try await Task.sleep(for: .milliseconds(300))

        let appended = try await appendAtRate(service: service, worker: worker, deployment: deployment)
        let last = appended.last ?? head
        let deadline = Date().addingTimeInterval(30)
        while deliveries.count(atLeast: last) < clients, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let committed = try await commitTimes(appended)
        return report(
            sse: deliveries.delays(committed), notify: notified.delays(committed), expected: appended.count * clients, idlePerClient: idlePerClient,
            storm: storm)
    }

    /// Opens every client's stream from `head` and waits (at most 60 s) until all are open.
    private func openStreams(after head: Int64, token: String, port: Int, log deliveries: DeliveryLog) async throws -> [any Channel] {
        status("connecting \(clients) SSE clients…")
        let group = MultiThreadedEventLoopGroup.singleton
        var channels: [any Channel] = []
        for _ in 0..<clients {
            channels.append(try await SSEProbe.connect(group: group, port: port, path: "/api/v1/events?after=\(head)", token: token, log: deliveries))
        }
        let opened = Date().addingTimeInterval(60)
        while deliveries.opened < clients, Date() < opened { try await Task.sleep(for: .milliseconds(50)) }
        guard deliveries.opened == clients else {
            for channel in channels { channel.close(promise: nil) }
            throw LedgerError(.unavailable, "only \(deliveries.opened) of \(clients) streams opened")
        }
        return channels
    }

    /// Appends `rate` log events a second for `seconds` to the deployment; their positions.
    private func appendAtRate(service: DeploymentService, worker: FencedExecution, deployment: String) async throws -> [Int64] {
        status("appending \(rate) events a second for \(seconds) s…")
        var appended: [Int64] = []
        let interval = Duration.seconds(1) / rate
        var next = ContinuousClock.now
        for n in 0..<(rate * seconds) {
            let outcome = try await service.execute(deployment: deployment, context: CommandContext(actor: "bench")) { state, _ in
                try worker.appendLogs(state, lines: [LogLine(level: .info, step: nil, message: "line \(n)", atMicroseconds: Int64(Date().timeIntervalSince1970 * 1e6))])
            }
            if let position = outcome.position { appended.append(position) }
            next += interval
            try await Task.sleep(until: next)
        }
        return appended
    }

    private func report(
        sse: LatencySample, notify: LatencySample, expected: Int, idlePerClient: Double, storm: (quiet: LatencySample, during: LatencySample)
    ) -> BenchReport {
        var report = BenchReport(
            title: "ledger-bench live — \(clients) SSE clients, \(rate) events/s for \(seconds) s, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        report.add(
            "commit → SSE delivery", ledger: String(format: "p50 %.1f ms, p99 %.1f ms", sse.percentile(0.5) * 1e3, sse.percentile(0.99) * 1e3),
            baseline: String(format: "LISTEN/NOTIFY p50 %.1f ms, p99 %.1f ms", notify.percentile(0.5) * 1e3, notify.percentile(0.99) * 1e3))
        let p99 = sse.percentile(0.99) * 1e3
        report.add("p99 delay", ledger: String(format: "%.1f ms (%@)", p99, p99 < 100 ? "met" : "MISSED"), baseline: "target < 100 ms")
        report.add("deliveries", ledger: "\(sse.values.count) of \(expected)", baseline: "every event at every client")
        report.add("gateway memory per idle client", ledger: String(format: "%.1f KB", idlePerClient), baseline: "RSS of the ledger serve process")
        report.add(
            "GET p99 while \(stormClients) streams connect", ledger: String(format: "%.1f ms (%d requests)", storm.during.percentile(0.99) * 1e3, storm.during.values.count),
            baseline: String(format: "%.1f ms with none connecting (%d requests)", storm.quiet.percentile(0.99) * 1e3, storm.quiet.values.count),
            ratio: storm.during.percentile(0.99) > 0 ? storm.quiet.percentile(0.99) / storm.during.percentile(0.99) : nil, target: 0.5)
        report.notes = [
            "Delay: from the event's recorded_at (its insert, just before commit) to its arrival at a client socket, on this machine's clock.",
            "The gateway wakes through its Redis relay; each event is read from the log once and rendered once for all clients.",
            "Connect storm: \(stormClients) clients open /api/v1/events without Last-Event-ID at once, with \(Self.stormHistory)+ deployment events "
                + "in the log, while one client GETs /api/v1/audit?limit=5 (a database read) in a loop; baseline: the same loop with nobody connecting.",
        ]
        return report
    }

    /// When each appended event was recorded, as seconds since 1970.
    private func commitTimes(_ positions: [Int64]) async throws -> [Int64: Double] {
        var times: [Int64: Double] = [:]
        let rows = try await client.liveQuery(
            "SELECT position, (extract(epoch FROM recorded_at) * 1000000)::int8 FROM ledger.events WHERE position = ANY(\(positions))", logger: logger)
        for row in rows {
            let (position, micros) = try row.decode((Int64, Int64).self)
            times[position] = Double(micros) / 1e6
        }
        return times
    }
}

/// Arrival times of events, by log position, from many clients.
final class DeliveryLog: Sendable {
    private struct State {
        var arrivals: [(Int64, Double)] = []
        var opened = 0
        var highest: [ObjectIdentifier: Int64] = [:]
    }
    private let state = Mutex(State())

    var opened: Int { state.withLock { $0.opened } }
    func open() { state.withLock { $0.opened += 1 } }

    func record(_ position: Int64, at time: Double, client: ObjectIdentifier? = nil) {
        state.withLock { state in
            state.arrivals.append((position, time))
            if let client { state.highest[client] = max(state.highest[client] ?? 0, position) }
        }
    }

    /// Clients that have received `position` or later.
    func count(atLeast position: Int64) -> Int { state.withLock { $0.highest.values.filter { $0 >= position }.count } }

    func delays(_ committed: [Int64: Double]) -> LatencySample {
        var sample = LatencySample()
        sample.values = state.withLock { $0.arrivals }.compactMap { position, time in committed[position].map { max(0, time - $0) } }
        return sample
    }
}
