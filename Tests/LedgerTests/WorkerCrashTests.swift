import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Workers as separate `ledger work` processes that die or freeze mid-deployment: every
/// deployment still ends exactly once and no step runs twice on the host; a frozen worker whose
/// lease was taken over writes nothing more and stops its command when it wakes.
@Suite(.serialized)
struct WorkerCrashTests {
    @Test func aWorkerKilledMidwayLeavesEveryDeploymentEndedExactlyOnceAndNoStepRunTwice() async throws {
        try await withCrashSetup(steps: 3, stepCommand: "sleep 0.2") { setup in
            let ids = try await setup.requestDeployments(100)
            let workers = try await (1...3).asyncMap { try await setup.startWorker("w\($0)") }
            try await waitUntil("a third of the deployments ended", within: .seconds(120)) { try await setup.ended(ids) >= 30 }
            workers[0].signal(SIGKILL)
            try await waitUntil("every deployment ended", within: .seconds(180)) { try await setup.ended(ids) == ids.count }
            for worker in workers.dropFirst() { worker.signal(SIGTERM) }
            for worker in workers.dropFirst() { #expect(await worker.wait().status == 143) }
            var endings = 0
            for id in ids {
                let records = try await setup.service.records(of: DomainIDs.deploymentStream(id))
                let terminal = records.filter {
                    switch $0.event {
                    case .deploymentSucceeded, .deploymentFailed, .deploymentCancelled, .deploymentTimedOut: true
                    default: false
                    }
                }
                #expect(terminal.count == 1, "deployment \(id) ended \(terminal.count) times")
                endings += terminal.count
            }
            #expect(endings == 100)
            let runs = try setup.hostLog()
            let counts = Dictionary(grouping: runs, by: { $0 }).mapValues(\.count)
            #expect(counts.values.allSatisfy { $0 == 1 }, "a step ran twice: \(counts.filter { $0.value > 1 }.keys.sorted().prefix(3))")
            let takenOver = try await ids.asyncFilter { try await setup.service.deployment($0)?.error?.contains("stopped renewing its lease") == true }
            #expect(takenOver.count <= 10, "at most the killed worker's deployments in flight were taken over")
        }
    }

    @Test func aFrozenWorkerWhoseLeaseWasTakenOverWritesNothingAndStopsItsCommand() async throws {
        try await withCrashSetup(steps: 1, stepCommand: "sleep 20") { setup in
            let ids = try await setup.requestDeployments(1)
            let frozen = try await setup.startWorker("frozen")
            try await waitUntil("the step started on the host", within: .seconds(30)) { try setup.hostLog().count == 1 }
            frozen.signal(SIGSTOP)
            let rescuer = try await setup.startWorker("rescuer")
            try await waitUntil("the deployment was taken over", within: .seconds(30)) {
                try await setup.service.deployment(ids[0])?.executor == "rescuer"
            }
            let head = try await setup.store.headPosition()
            frozen.signal(SIGCONT)
            // Waking, it finds its lease gone, stops the step's process group and writes nothing.
            try await waitUntil("the frozen worker stopped its command", within: .seconds(15)) {
                try await setup.stepProcessesGone()
            }
            try await Task.sleep(for: .seconds(2))
            #expect(try await setup.store.headPosition() == head, "nothing was written after the takeover")
            let state = try #require(try await setup.service.deployment(ids[0]))
            #expect(state.status == .failed)
            #expect(state.error?.contains("stopped renewing its lease during step step_1") == true)
            #expect(!(try setup.hostLog().contains { $0.hasSuffix("finished") }), "the step never finished on the host")
            frozen.signal(SIGTERM)
            rescuer.signal(SIGTERM)
            let frozenRun = await frozen.wait()
            _ = await rescuer.wait()
            #expect(frozenRun.errors.contains("lost the lease") || frozenRun.errors.contains("taken over"), "\(frozenRun.errors.suffix(2_000))")
        }
    }
}

/// A database with environments to deploy, a pipeline whose steps log each run to a host file,
/// and worker processes on the local runner with a 3-second lease.
struct CrashSetup: Sendable {
    let service: DeploymentService
    let store: EventStore
    let url: DatabaseURL
    let directory: String

    var hostLogPath: String { directory + "/host.log" }

    func requestDeployments(_ count: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let environment = "env-\(index)"
            try await service.createEnvironment(
                id: environment, project: "shop", name: environment,
                configuration: EnvironmentConfiguration(host: "localhost", resources: Resources(cpuMillicores: 10, memoryMB: 16, diskGB: 1)),
                context: .init(actor: "ana"))
            let outcome = try await service.deploy(environment: environment, git: GitReference(branch: "main"), context: .init(actor: "ana"))
            ids.append(try #require(outcome.deploymentID))
        }
        return ids
    }

    func startWorker(_ name: String) async throws -> BackgroundLedger {
        try await LedgerBinary.start(
            "work --pipelines \(ShellCommand.quote(directory + "/pipelines")) --local \(ShellCommand.quote(directory)) --lease 3 --renew 1 "
                + "--stop-grace 2 --worker-name \(name)",
            databaseURL: url.connectionString)
    }

    func ended(_ ids: [String]) async throws -> Int {
        try await ids.asyncFilter { try await service.deployment($0)?.status.isTerminal == true }.count
    }

    /// One line per step run: `DEPLOYMENT STEP started|finished`.
    func hostLog() throws -> [String] {
        guard FileManager.default.fileExists(atPath: hostLogPath) else { return [] }
        return try String(contentsOfFile: hostLogPath, encoding: .utf8).split(separator: "\n").map(String.init).filter { $0.hasSuffix("started") }
            + (try String(contentsOfFile: hostLogPath, encoding: .utf8).split(separator: "\n").map(String.init).filter { $0.hasSuffix("finished") })
    }

    /// Whether no step command of this setup runs any more.
    func stepProcessesGone() async throws -> Bool {
        try await ShellCommand.run("pgrep -f \(ShellCommand.quote("[l]edger-crash-step " + directory)) > /dev/null") != 0
    }
}

func withCrashSetup(steps: Int, stepCommand: String, _ body: @Sendable (CrashSetup) async throws -> Void) async throws {
    try await TestDatabase.withDatabase { db in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-crash-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/pipelines", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Each step's command line names the setup (for pgrep) and logs its start and end on the "host".
        let stepList = (1...steps).map { number in
            """
              - id: step_\(number)
                run: echo {{deployment_id}} step_\(number) started >> \(directory)/host.log; sh -c '\(stepCommand)' ledger-crash-step \(directory); echo {{deployment_id}} step_\(number) finished >> \(directory)/host.log
            """
        }.joined(separator: "\n")
        try "steps:\n\(stepList)\n".write(toFile: directory + "/pipelines/deploy.yml", atomically: true, encoding: .utf8)
        let (service, _) = try await Fixture.acmeShop(db)
        try await body(CrashSetup(service: service, store: db.store, url: db.url, directory: directory))
        _ = try? await ShellCommand.run("pkill -KILL -f \(ShellCommand.quote("[l]edger-crash-step " + directory))")
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }

    func asyncFilter(_ include: (Element) async throws -> Bool) async rethrows -> [Element] {
        var results: [Element] = []
        for element in self where try await include(element) { results.append(element) }
        return results
    }
}
