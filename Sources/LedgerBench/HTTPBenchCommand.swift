import CommandRuntime
import ArgumentParser
import ChildProcess
import Foundation
import Gateway
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import Logging
import PostgresNIO
import Projections
import Synchronization

/// `ledger-bench http`: the API under wrk against the framework's own ceiling (a static body of
/// the same size from the same framework in the same process) and, for deploys, against the same
/// deploys made in-process through the service — ratios from one run.
struct HTTPBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "http", abstract: "Benchmark the HTTP API with wrk against baselines in the same run.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Seconds per measurement.") var seconds = 5
    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Environments made for the deploy measurements (each deploy goes to a fresh one).") var environments = 20_000

    func validate() throws {
        guard seconds > 0, connections > 0, environments >= 100 else { throw ValidationError("--seconds and --connections must be positive, --environments ≥ 100") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [seconds, connections, environments, quiet = connection.quiet] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger) { database, client in
                    var quietLogger = session.logger
                    quietLogger.logLevel = .error
                    let logger = quietLogger
                    let store = EventStore(client: client, logger: logger)
                    let service = DeploymentService(store: store, source: "bench")
                    let ops = CommandContext(actor: "bench")
                    let status: @Sendable (String) -> Void = { if !quiet { printError("bench: \($0)") } }
                    try await Self.setUp(environments, service: service, status: status)
                    let seeded = try await service.deploy(environment: "env-0", git: GitReference(branch: "main", commit: "abcdef1"), context: ops)
                    let deployment = seeded.deploymentID!
                    let tokens = TokenStore(service: service, client: client, logger: logger)
                    let token = try await tokens.issue(name: "bench", role: .portalAdmin, organisation: nil, project: nil, context: ops).secret.text
                    // Brought up to the head here, as `ledger project` would (no runner runs yet).
                    let behind = try await ProjectionCatalog.catchUp(
                        ProjectionCatalog.all.map(\.name), store: store, client: client, timeout: .seconds(600), logger: logger)
                    guard behind.isEmpty else { throw LedgerError(.projectionBehind, "projections \(behind) did not catch up") }

                    // The server runs as `ledger serve`, a process of its own; this one keeps the
                    // projections current, as `ledger project` would.
                    let served = try await ServedGateway.start(database: database.url)
                    do {
                        try await Self.measure(
                            served, deployment: deployment, token: token, service: service, store: store, client: client, status: status,
                            seconds: seconds, connections: connections, environments: environments, logger: logger)
                    } catch {
                        await served.stop()
                        throw error
                    }
                }
            }
        }
    }

    /// `environments` environments of 250 per organisation, created side by side; the middle
    /// third protected by three rules (an approval by an org admin, refs main only, the
    /// production permission), so that its deploys wait for approval.
    static func setUp(_ environments: Int, service: DeploymentService, status: @escaping @Sendable (String) -> Void) async throws {
        let ops = CommandContext(actor: "bench")
        status("setting up \(environments) environments…")
        let configuration = EnvironmentConfiguration(host: "10.0.0.1", resources: Resources(cpuMillicores: 10, memoryMB: 10, diskGB: 1))
        // Every environment records its allocation on its organisation's stream, which creators
        // of one organisation contend for: a few hundred per organisation, the organisations side
        // by side, one creator each.
        let perOrganisation = 250
        let organisations = (environments + perOrganisation - 1) / perOrganisation
        try await withThrowingTaskGroup(of: Void.self) { group in
            for organisation in 0..<organisations {
                if organisation >= 8 { try await group.next() }
                group.addTask {
                    try await service.createOrganisation(id: "bench-\(organisation)", name: "Bench \(organisation)", context: ops)
                    try await service.createProject(
                        id: "app-\(organisation)", organisation: "bench-\(organisation)", name: "App \(organisation)", context: ops)
                    for index in stride(from: organisation * perOrganisation, to: min(environments, (organisation + 1) * perOrganisation), by: 1) {
                        try await service.createEnvironment(
                            id: "env-\(index)", project: "app-\(organisation)", name: "env \(index)", configuration: configuration, context: ops)
                    }
                }
            }
            try await group.waitForAll()
        }
        status("protecting a third of them…")
        let rules = ProtectionRules(requiredApprovals: 1, reviewers: .init(roles: [.orgAdmin]), allowedRefs: ["main"], deployPermission: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: environments / 3 + 1 + worker, to: 2 * environments / 3 + 1, by: 8) {
                        try await service.protect(environment: "env-\(index)", rules: rules, context: ops)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The measurements against the served API, with the projections kept current in this process.
    static func measure(
        _ served: ServedGateway, deployment: String, token: String, service: DeploymentService, store: EventStore, client: PostgresClient,
        status: @escaping @Sendable (String) -> Void, seconds: Int, connections: Int, environments: Int, logger: Logger
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.headListener.run() }
            group.addTask {
                let runners = ProjectionCatalog.all.map { ProjectionRunner(projection: $0, store: store, client: client, logger: logger) }
                try await ProjectionGroupRunner(runners: runners, logger: logger).run()
            }
            defer { group.cancelAll() }
            let api = served.url
            let wrk = Wrk(connections: connections, threads: 2, seconds: seconds)

            var report = BenchReport(title: "ledger-bench http — \(connections) connections, \(seconds) s each, \(ProcessInfo.processInfo.activeProcessorCount) cores")
            for (label, path) in [("GET progress", "/api/v1/deployments/\(deployment)/progress"), ("GET deployments?limit=50", "/api/v1/deployments?limit=50")] {
                let size = try await Self.bodySize(api + path, token: token)
                status("\(label): the API, then a static \(size)-byte body from the same framework…")
                let measured = try await wrk.run(api + path, token: token)
                let ceiling = try await StaticServer.measure(bytes: size, wrk: wrk, token: token, logger: logger)
                report.add(
                    label, ledger: Self.describe(measured), baseline: Self.describe(ceiling) + " static \(size) B",
                    ratio: measured.successesPerSecond / ceiling.successesPerSecond, target: 0.5)
            }

            status("POST deployments through the API, each to a fresh environment…")
            let third = environments / 3
            let script = try Self.deployScript(environments: third, offset: 1, threads: wrk.threads)
            defer { try? FileManager.default.removeItem(atPath: script) }
            let posted = try await wrk.run(api + "/api/v1/deployments", token: token, script: script)
            status("POST deployments into protected environments (three rules)…")
            let protectedScript = try Self.deployScript(environments: third, offset: third + 1, threads: wrk.threads)
            defer { try? FileManager.default.removeItem(atPath: protectedScript) }
            let protected = try await wrk.run(api + "/api/v1/deployments", token: token, script: protectedScript)
            status("the same deploys in-process through the service…")
            let inProcess = try await Self.deployInProcess(
                service, from: 2 * third + 1, to: environments, concurrency: connections, seconds: seconds)
            report.add(
                "POST deployments", ledger: Self.describe(posted), baseline: BenchReport.rate(inProcess, "deploys/s") + " in-process",
                ratio: posted.successesPerSecond / inProcess, target: 0.7)
            report.add(
                "POST deployments, protected (3 rules)", ledger: Self.describe(protected), baseline: Self.describe(posted) + " open",
                ratio: protected.successesPerSecond / posted.successesPerSecond, target: 0.9)
            let peak = served.peakResidentMegabytes()
            await served.stop()
            report.add(
                "peak resident memory", ledger: String(format: "%.0f MB (ledger serve)", peak), baseline: "target < 150 MB", ratio: nil,
                target: nil)
            report.notes = [
                "Rates count answers below 400 only. The API is `ledger serve` in a process of its own (peak memory is its own); the static baseline is a Hummingbird server answering the same number of bytes.",
                "An API deploy answers from its deployment's stream (reads that follow wait for the projections to hold it); the in-process deploy returns once appended.",
                "POST: \(posted.requests) requests, \(posted.failures) not 2xx (environments already deploying once the script wraps round).",
                "Protected: each deploy waits for approval (it takes no lock, so a wrapped-round script still succeeds); the rules are checked, the request and its wait recorded. Target: at most 10 % dearer than an open deploy.",
            ]
            printLine(report.render())
        }
    }

    static func describe(_ result: Wrk.Result) -> String {
        BenchReport.rate(result.successesPerSecond, "req/s") + String(format: " (p50 %.2f ms, p99 %.2f ms)", result.p50Milliseconds, result.p99Milliseconds)
    }

    /// The size of the body `url` answers, so that the static baseline sends as much.
    static func bodySize(_ url: String, token: String) async throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-body-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try await ShellCommand.run("curl -s -o \(file) -H \(ShellCommand.quote("Authorization: Bearer \(token)")) \(ShellCommand.quote(url))")
        return ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0
    }

    /// A wrk script that POSTs a deploy of env-(offset…offset+environments-1) in turn; each of
    /// wrk's `threads` (a Lua state each) takes every `threads`-th one, so no two send the same.
    static func deployScript(environments: Int, offset: Int, threads: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-deploy-\(UUID().uuidString).lua").path
        let script = """
            local threads = 0
            setup = function(thread)
              thread:set("first", threads)
              threads = threads + 1
            end
            local n = 0
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            request = function()
              local env = \(offset) + ((first + n * \(threads)) % \(environments))
              n = n + 1
              return wrk.format(nil, nil, nil, '{"environment_id": "env-' .. env .. '", "git_branch": "main", "git_commit": "abc1234"}')
            end
            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Deploys per second through the service, `concurrency` at once, for `seconds`.
    static func deployInProcess(_ service: DeploymentService, from: Int, to: Int, concurrency: Int, seconds: Int) async throws -> Double {
        let next = Counter(from)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline, let index = next.take(below: to) {
                        _ = try await service.deploy(environment: "env-\(index)", git: GitReference(branch: "main", commit: "abc1234"), context: CommandContext(actor: "bench"))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(done) / (ContinuousClock.now - started).seconds
    }

}

/// The framework's ceiling: a Hummingbird server in this process answering a fixed body.
enum StaticServer {
    static func measure(bytes: Int, wrk: Wrk, token: String, logger: Logger) async throws -> Wrk.Result {
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)
        let router = Router()
        router.get("/static") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        // Its shutdown at the end of each measurement is not worth an error line.
        var quiet = logger
        quiet.logLevel = .critical
        let ports = PortBox()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { ports.set(api: $0.localAddress?.port ?? 0) },
            logger: quiet)
        return try await withThrowingTaskGroup(of: Wrk.Result?.self) { group in
            group.addTask { try await application.runService(); return nil }
            while ports.api == nil { try await Task.sleep(for: .milliseconds(20)) }
            let result = try await wrk.run("http://127.0.0.1:\(ports.api!)/static", token: token)
            group.cancelAll()
            return result
        }
    }
}

/// A port learnt from a server's start-up callback.
final class PortBox: Sendable {
    private let value = Mutex<Int?>(nil)
    func set(api port: Int) { value.withLock { $0 = port } }
    var api: Int? { value.withLock { $0 } }
}

/// Hands out numbers below a bound, once each, to concurrent workers.
final class Counter: Sendable {
    private let value: Mutex<Int>
    init(_ start: Int) { value = Mutex(start) }
    func take(below bound: Int) -> Int? {
        value.withLock { value in
            guard value < bound else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
