import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// Real deployments over SSH to a real sshd on loopback with the shipped pipeline files: a
/// release cloned, switched, started and health-checked; a broken release rolled back by
/// itself to the exact directory that ran before; a host with another key refused.
@Suite(.serialized)
struct ExecutorEndToEndTests {
    static let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("pipelines").path

    @Test func theShippedPipelinesLoad() throws {
        let loaded = try PipelineLoader.loadAll(directory: Self.pipelines)
        #expect(Set(loaded.keys) == ["deploy", "fast-deploy", "rollback", "destroy"])
        #expect(loaded["deploy"]?.steps.first(where: { $0.id.rawValue == "health_check" })?.onFailure == .rollback)
        #expect(loaded["fast-deploy"]?.steps.contains { $0.id.rawValue == "installing_dependencies" } == false)
    }

    @Test func aBrokenReleaseIsRolledBackToTheExactDirectoryThatRanBefore() async throws {
        try await withHost { host in
            let v1 = try await host.deploy(commit: host.commits[0])
            try await host.waitFor(v1, .success)
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v1")
            let firstRelease = try host.currentRelease()
            #expect(firstRelease == "releases/\(v1)")

            let v2 = try await host.deploy(commit: host.commits[1])
            try await host.waitFor(v2, .failed)
            let failed = try #require(try await host.service.deploymentWithProgress(v2))
            #expect(failed.0.failedStep?.rawValue == "health_check")
            // The executor starts the rollback by itself: trigger rollback, actor system, to v1.
            var rollback: DeploymentState?
            try await waitUntil("an automatic rollback finished", within: .seconds(60)) {
                let environment = try await host.service.environment("shop-prod")
                guard let id = environment?.currentRelease?.deploymentID, id != v1 else { return false }
                rollback = try await host.service.deployment(id)
                return rollback?.status == .success
            }
            #expect(rollback?.trigger == .rollback)
            #expect(rollback?.requestedBy == "system")
            #expect(rollback?.rollbackTo == v1)
            #expect(try host.currentRelease() == firstRelease, "current points at v1's own release directory again")
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v1")
            #expect(try await host.service.deployment(v1)?.status == .success, "v1 is not marked rolled back by its own restore")
        }
    }

    @Test func cancellingDuringALongRemoteStepLeavesNoProcessOfItOnTheHost() async throws {
        try await withHost(versions: [("v1", true)], installCommand: Host.longInstall) { host in
            let (id, sleeper) = try await host.deployIntoTheLongStep()
            try await host.service.cancel(id, reason: "wrong branch", context: .init(actor: "ana"))
            try await host.waitFor(id, .cancelled)
            let records = try await host.service.records(of: DomainIDs.deploymentStream(id))
            let stopped = try #require(records.compactMap { if case .deploymentCancelled(let e) = $0.event { e.stopped } else { nil } }.first)
            #expect(stopped.step?.rawValue == "installing_dependencies")
            #expect(stopped.cleanupRan, "the deploy lock was released")
            #expect(!FileManager.default.fileExists(atPath: host.deployPath + "/.deploy-lock"))
            let group = try #require(stopped.processGroup)
            #expect(try await processGroupIsGone(group), "no process of the step's group is left (ps)")
            #expect(try await ShellCommand.run("ps -o stat= -p \(sleeper) | grep -qv '^Z'") != 0, "the step's child is gone")
        }
    }

    /// Over SSH, a step whose child left its group (`setsid`) and holds the channel open: the
    /// cancel is confirmed within the grace period and the escape bound, names the escaped
    /// process, and the host's deploy lock is released.
    @Test func cancellingARemoteStepWhoseChildEscapedItsGroupEndsCancelledAndReleasesTheLock() async throws {
        try await withHost(versions: [("v1", true)], installCommand: "echo installing; setsid sleep 121 & echo sleeper $!; wait") { host in
            let (id, sleeper) = try await host.deployIntoTheLongStep()
            defer { kill(sleeper, SIGKILL) }
            let asked = ContinuousClock.now
            try await host.service.cancel(id, reason: "escaped", context: .init(actor: "ana"))
            try await host.waitFor(id, .cancelled)
            // Grace 3 s + escape bound 5 s + a flush and the stop script; generous for a loaded machine.
            #expect(asked.duration(to: .now) < .seconds(40))
            let records = try await host.service.records(of: DomainIDs.deploymentStream(id))
            let stopped = try #require(records.compactMap { if case .deploymentCancelled(let e) = $0.event { e.stopped } else { nil } }.first)
            #expect(stopped.escaped == true)
            #expect(stopped.escapedProcesses?.contains { $0.hasPrefix("\(sleeper) ") && $0.contains("sleep 121") } == true, "\(stopped.escapedProcesses ?? [])")
            #expect(stopped.cleanupRan)
            #expect(!FileManager.default.fileExists(atPath: host.deployPath + "/.deploy-lock"), "the deploy lock is released")
        }
    }

    @Test func stoppingTheWorkerDuringARemoteStepStopsItAndReleasesTheHostsDeployLock() async throws {
        try await withHost(versions: [("v1", true)], installCommand: Host.longInstall) { host in
            let (id, sleeper) = try await host.deployIntoTheLongStep()
            #expect(FileManager.default.fileExists(atPath: host.deployPath + "/.deploy-lock"), "the running deployment holds the lock")
            // As SIGINT/SIGTERM stop `ledger work`: the worker's task is cancelled.
            await host.stopWorker()
            #expect(try await ShellCommand.run("ps -o stat= -p \(sleeper) | grep -qv '^Z'") != 0, "the step's child is gone")
            #expect(
                !FileManager.default.fileExists(atPath: host.deployPath + "/.deploy-lock"),
                "the next deployment to this host need not wait for the lock to expire")
            // Failing it is left to the worker that takes it over once the lease expires.
            #expect(try await host.service.deployment(id)?.status.isTerminal == false)
        }
    }

    @Test func aRollbackToAReleaseNoLongerOnTheHostFailsBeforeTouchingAnything() async throws {
        try await withHost(versions: [("v1", true), ("v2", true)]) { host in
            let v1 = try await host.deploy(commit: host.commits[0])
            try await host.waitFor(v1, .success)
            let v2 = try await host.deploy(commit: host.commits[1])
            try await host.waitFor(v2, .success)
            try FileManager.default.removeItem(atPath: host.deployPath + "/releases/\(v1)")
            let rollback = try #require(try await host.service.rollback(to: v1, context: .init(actor: "ana")).deploymentID)
            try await host.waitFor(rollback, .failed)
            let state = try #require(try await host.service.deployment(rollback))
            #expect(state.failedStep?.rawValue == "checking_release")
            #expect(try await host.logLines(rollback).contains { $0.contains("no longer on this host") })
            #expect(try host.currentRelease() == "releases/\(v2)", "current was not touched")
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v2")
        }
    }

    @Test func failedReleasesNeverPushTheLastGoodOneOut() async throws {
        // Capistrano's #2120: failed deploys counted towards keep_releases and the last good release was deleted.
        try await withHost(
            versions: [("v1", true), ("v2", false), ("v3", false), ("v4", true)],
            settings: ["keep_releases": "2", "rollback_on_failure": "false"]
        ) { host in
            var ids: [String] = []
            for (index, status) in [DeploymentStatus.success, .failed, .failed, .success].enumerated() {
                let id = try await host.deploy(commit: host.commits[index])
                try await host.waitFor(id, status)
                ids.append(id)
            }
            let releases = try FileManager.default.contentsOfDirectory(atPath: host.deployPath + "/releases")
            #expect(Set(releases) == [ids[0], ids[3]], "the two releases that passed are kept, the failed ones removed")
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v4")
        }
    }

    @Test func destroyingTearsTheEnvironmentDownOnItsServer() async throws {
        try await withHost(versions: [("v1", true)]) { host in
            let v1 = try await host.deploy(commit: host.commits[0])
            try await host.waitFor(v1, .success)
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v1")
            let destroy = try #require(try await host.service.destroy(environment: "shop-prod", deleteData: true, context: .init(actor: "ana")).deploymentID)
            #expect(try await host.service.environment("shop-prod")?.status == .destroyed, "destroyed in the ledger at once")
            try await host.waitFor(destroy, .destroyed)
            let progress = try #require(try await host.service.deploymentWithProgress(destroy)?.1)
            #expect(progress.steps.map(\.step.rawValue) == ["locking", "stopping_app", "removing_releases"])
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == nil, "the application is stopped")
            #expect(!FileManager.default.fileExists(atPath: host.deployPath), "its data is gone")
            #expect(try await host.service.environment("shop-prod")?.status == .destroyed)
        }
    }

    @Test func aHostThatChangedItsKeyFailsTheStepAndRunsNothing() async throws {
        try await withHost { host in
            try await host.server.changeHostKey()
            let id = try await host.deploy(commit: host.commits[0])
            try await host.waitFor(id, .failed)
            let state = try #require(try await host.service.deployment(id))
            #expect(state.error?.contains("not the") == true && state.error?.contains("pinned") == true)
            #expect(!FileManager.default.fileExists(atPath: host.deployPath + "/releases"), "nothing ran on the host")
        }
    }
}

/// An sshd, a sample app repository, a ledger with a server registered and an environment on it,
/// and a worker running the shipped pipelines.
struct Host: Sendable {
    let server: SSHServer
    let service: DeploymentService
    let commits: [String]
    let port: Int
    let directory: String
    let app: SampleApp
    /// Stops the worker as its service's shutdown does (cancels it) and waits for it to end.
    let stopWorker: @Sendable () async -> Void
    var deployPath: String { directory + "/deploy" }

    func deploy(commit: String) async throws -> String {
        let outcome = try await service.deploy(
            environment: "shop-prod", git: GitReference(branch: "main", commit: commit), force: true, context: .init(actor: "ana"))
        return try #require(outcome.deploymentID)
    }

    func waitFor(_ id: String, _ status: DeploymentStatus) async throws {
        try await waitUntil("deployment \(id) is \(status.rawValue)", within: .seconds(90)) {
            let state = try await service.deployment(id)
            if let state, state.status.isTerminal, state.status != status {
                let lines = try await service.records(of: DomainIDs.deploymentStream(id)).flatMap { record -> [String] in
                    if case .logLinesAppended(let e) = record.event { e.lines.map { "\($0.step?.rawValue ?? "-"): \($0.message)" } } else { [] }
                }
                let log = lines.joined(separator: "\n")
                Issue.record("deployment ended \(state.status.rawValue): \(state.error ?? "")\n\(log)")
                return true
            }
            return state?.status == status
        }
    }

    /// An install step that runs for two minutes, naming its background child in the log.
    static let longInstall = "echo installing; sleep 120 & echo sleeper $!; wait"

    /// Deploys v1 and returns once its long install step runs on the host: the deployment and
    /// the pid of the step's child.
    func deployIntoTheLongStep() async throws -> (id: String, sleeper: Int32) {
        let id = try await deploy(commit: commits[0])
        var sleeper: Int32?
        try await waitUntil("the long step runs on the host", within: .seconds(60)) {
            sleeper = try await logLines(id).first { $0.hasPrefix("sleeper ") }.flatMap { Int32($0.dropFirst(8)) }
            return sleeper != nil
        }
        return (id, try #require(sleeper))
    }

    func logLines(_ id: String) async throws -> [String] {
        try await service.records(of: DomainIDs.deploymentStream(id)).flatMap { record -> [String] in
            if case .logLinesAppended(let e) = record.event { e.lines.map(\.message) } else { [] }
        }
    }

    func currentRelease() throws -> String { try FileManager.default.destinationOfSymbolicLink(atPath: deployPath + "/current") }
}

func withHost(
    versions: [(name: String, healthy: Bool)] = [("v1", true), ("v2", false)], installCommand: String = "true",
    settings extra: [String: String] = [:], _ body: @Sendable (Host) async throws -> Void
) async throws {
    try await TestDatabase.withDatabase { db in
        let server = try await SSHServer.start()
        let directory = server.directory
        let (app, commits) = try await SampleApp.create(in: directory, versions: versions)
        let port = try SampleApp.freePort()
        let (service, context) = try await Fixture.acmeShop(db, repository: app.repository)
        let hostKey = try await SSHConnection.hostKey(host: "127.0.0.1", port: server.port)
        let keyring = Keyring(root: directory + "/keyring")
        let key = try await service.addKey("deploy", organisation: "acme", file: server.privateKeyPath, keyring: keyring, context: context)
        try await service.registerServer(ServerRegistered(
            serverID: "web-1", organisationID: "acme", host: "127.0.0.1", port: server.port, user: server.user, keyID: key.keyID,
            keyFingerprint: key.fingerprint, hostKeyType: hostKey.type,
            hostKeyFingerprint: hostKey.fingerprint, capacity: Resources(cpuMillicores: 4_000, memoryMB: 8_192, diskGB: 100)), context: context)
        let deployPath = directory + "/deploy"
        try await service.createEnvironment(
            id: "shop-prod", project: "shop", name: "prod",
            configuration: try ConfigurationChanges(
                cpuMillicores: 500, memoryMB: 512, diskGB: 5, server: "web-1",
                settings: [
                    "deploy_path": deployPath, "app_port": "\(port)", "health_url": "http://127.0.0.1:\(port)/", "health_attempts": "5",
                    "install_command": installCommand,
                ].merging(extra) { $1 }
            ).applied(to: nil),
            context: context)
        var configuration = WorkerConfiguration(name: "worker-e2e")
        configuration.flushInterval = .milliseconds(100)
        configuration.stopGrace = .seconds(3)
        let worker = DeploymentWorker(
            service: service, leases: LeaseStore(client: db.client, logger: TestDatabase.logger), configuration: configuration,
            pipelines: try PipelineLoader.loadAll(directory: ExecutorEndToEndTests.pipelines), logger: TestDatabase.logger,
            openRunner: RunnerChoice.factory(service: service, keyring: keyring, localDirectory: nil))
        let working = Task { try await worker.work(untilIdle: false) }
        let host = Host(server: server, service: service, commits: commits, port: port, directory: directory, app: app) {
            working.cancel()
            _ = try? await working.value
        }
        do {
            try await body(host)
        } catch {
            working.cancel()
            await SampleApp.stop(deployPath: deployPath)
            await server.stop()
            throw error
        }
        working.cancel()
        await SampleApp.stop(deployPath: deployPath)
        await server.stop()
    }
}
