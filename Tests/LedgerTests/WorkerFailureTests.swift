import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Projections
import Synchronization
import Testing

/// What the executor does when things go wrong: hosts that cannot be reached (retried, then
/// abandoned into the dead-letter list), deployments that record nothing for too long (timed
/// out by the watchdog), failed deployments retried, pipeline files that are malformed.
@Suite(.serialized)
struct WorkerFailureTests {
    @Test func anUnreachableHostIsRetriedThenTheDeploymentIsAbandonedAndListed() async throws {
        try await withWorkerSetup("steps:\n  - id: only\n    run: 'true'\n") { setup in
            let id = try await setup.deploy()
            let port = try SampleApp.freePort()  // nothing listens there: connection refused
            var configuration = WorkerConfiguration(name: "worker-test")
            configuration.transientRetries = [.milliseconds(20), .milliseconds(20)]
            let worker = DeploymentWorker(
                service: setup.service, leases: setup.leases, configuration: configuration, pipelines: ["deploy": setup.pipeline],
                logger: TestDatabase.logger
            ) { _ in
                try await SSHConnection.connect(SSHTarget(
                    host: "127.0.0.1", port: port, user: "deploy", privateKeyPath: try ownerOnlyKey(setup.directory), hostKeyFingerprint: "SHA256:x",
                    connectTimeout: .seconds(2)))
            }
            try await worker.work(untilIdle: true)
            let state = try #require(try await setup.service.deployment(id))
            #expect(state.status == .failed)
            #expect(state.abandonedAfterAttempts == 3)
            #expect(state.error?.contains("abandoned after 3 attempts") == true)
            let lines = try await setup.logLines(id)
            #expect(lines.filter { $0.message.contains("trying again") }.count == 2)
            // The dead-letter list: `ledger deployments list --abandoned`.
            _ = try await ProjectionCatalog.catchUp(["deployments"], store: setup.store, client: setup.client, logger: TestDatabase.logger)
            var filter = ProjectionReader.DeploymentFilter()
            filter.abandoned = true
            let abandoned = try await ProjectionReader(client: setup.client, logger: TestDatabase.logger).deployments(filter)
            #expect(abandoned.map(\.deploymentID) == [id])
        }
    }

    @Test func theWatchdogTimesOutADeploymentThatRecordedNothingForTooLong() async throws {
        try await withWorkerSetup("steps:\n  - id: only\n    run: 'true'\n") { setup in
            let id = try await setup.deploy()
            let silent = FencedExecution(executor: "worker-gone", lease: "lease-gone")
            try await setup.service.execute(deployment: id, context: .init(actor: "worker")) { state, _ in
                try silent.claim(state, pipeline: "deploy", steps: [DeploymentStep(rawValue: "only")!])
            }
            let claimedAt = try #require(try await setup.store.read(stream: DomainIDs.deploymentStream(id), direction: .backward, limit: 1).first)
                .recordedAtMicroseconds
            let clock = Shared(claimedAt + 29 * 60 * 1_000_000)
            let watchdog = Watchdog(service: setup.service, logger: TestDatabase.logger) { clock.value }
            #expect(try await watchdog.check(id) == false, "silent for 29 minutes: not yet")
            clock.value = claimedAt + 31 * 60 * 1_000_000
            #expect(try await watchdog.check(id), "silent for 31 minutes: timed out")
            #expect(try await setup.service.deployment(id)?.status == .timedOut)
            #expect(try await setup.service.environment("shop-dev")?.inFlight == nil, "the environment is free again")
            #expect(try await watchdog.check(id) == false, "a finished deployment is left alone")
        }
    }

    @Test func aFailedDeploymentRetriedSucceedsWhenTheCauseIsGone() async throws {
        try await withWorkerSetup("""
            variables:
              flag: /nonexistent
            steps:
              - id: checking
                run: test -f {{flag}} || { echo "the flag is missing"; exit 3; }
            """) { setup in
            let flag = setup.directory + "/flag"
            let first = try await setup.deploy(settings: ["flag": flag])
            try await setup.worker().work(untilIdle: true)
            #expect(try await setup.service.deployment(first)?.status == .failed)
            _ = FileManager.default.createFile(atPath: flag, contents: Data())
            let retry = try #require(try await setup.service.retry(first, context: .init(actor: "ana")).deploymentID)
            try await setup.worker().work(untilIdle: true)
            let state = try #require(try await setup.service.deployment(retry))
            #expect(state.status == .success)
            #expect(state.retryOf == first)
        }
    }

    @Test func aMalformedPipelineIsRefusedWithItsFileLineAndReason() throws {
        let cases: [(String, Int?, String)] = [
            ("steps:\n  - id: Bad-Step\n    run: 'true'\n", 2, "is not a step id"),
            ("steps:\n  - id: ok\n    run: echo {{nope}}\n", 3, "{{nope}}"),
            ("steps:\n  - id: ok\n    run: 'true'\n    timeout: soon\n", 4, "not a duration"),
            ("steps:\n  - id: ok\n    run: 'true'\n    colour: blue\n", 4, "unknown key `colour`"),
            ("steps:\n  - id: ok\n    run: 'true'\n  - id: ok\n    run: 'true'\n", 4, "listed twice"),
            ("steps: [\n", 2, "not valid YAML"),
            ("description: nothing to do\n", 1, "`steps` must be a list"),
        ]
        for (yaml, line, reason) in cases {
            do {
                _ = try PipelineLoader.parse(yaml, name: "deploy", file: "pipelines/deploy.yml")
                Issue.record("accepted: \(yaml)")
            } catch let error as PipelineError {
                #expect(error.file == "pipelines/deploy.yml")
                #expect(error.line == line, "\(error)")
                #expect(error.reason.contains(reason), "\(error)")
            }
        }
    }
}

/// A throwaway private key file readable by its owner only (its content does not matter where
/// the connection is refused before authentication).
func ownerOnlyKey(_ directory: String) throws -> String {
    let path = directory + "/unused_key"
    _ = FileManager.default.createFile(atPath: path, contents: Data("-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n".utf8))
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    return path
}

/// A value a test changes while code under test reads it.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
