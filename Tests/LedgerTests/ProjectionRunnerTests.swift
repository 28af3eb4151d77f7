import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Logging
import PostgresNIO
@testable import Projections
import Testing

/// Runners: one bad event stops only its projection, which resumes after a fix; a standby
/// takes over; two concurrent deploys cannot both win; time travel.
@Suite(.serialized) struct ProjectionRunnerTests {
    /// The "fixed" code of a projection: the same, but it skips one event it cannot read.
    struct Skipping: WrappingProjection {
        let inner: any Projection
        let position: Int64
        func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
            try await inner.apply(ProjectionBatch(batch.events.filter { $0.position != position }), schema: schema, connection: connection, logger: logger)
        }
    }

    func status(_ db: TestContext, _ name: String) async throws -> ProjectionStatus {
        try await ProjectionStatus.read([ProjectionCatalog.named(name)!], client: db.client, store: db.store, logger: TestDatabase.logger)[0]
    }

    @Test func aBadEventStopsOnlyItsOwnProjectionWhichResumesFromThereAfterAFix() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 2)
            try await history.append(events: 600, to: db.store)
            let bad = try await db.store.append(
                to: DomainIDs.deploymentStream("broken"), events: [try NewEvent(type: DeploymentQueued.eventType, data: Data(#"{"nope":1}"#.utf8))])
            try await history.append(events: 600, to: db.store)
            let head = try await db.store.headPosition()

            for projection in ProjectionCatalog.all {
                _ = try await ProjectionRebuildTests.runner(projection, db, batchSize: 100).catchUp()
            }
            let deployments = try await status(db, "deployments")
            #expect(deployments.state == "failed")
            #expect(deployments.failedPosition == bad.firstPosition)
            #expect(deployments.failedEventType == "DeploymentQueued")
            #expect(deployments.failedError?.contains("deploymentID") == true)
            #expect(deployments.position == bad.firstPosition - 1, "everything before the bad event is applied")
            for name in ["logs", "environments", "quota"] {
                let other = try await status(db, name)
                #expect(other.state == "running" && other.position == head, "\(name) must not stop")
            }

            let fixed = Skipping(inner: ProjectionCatalog.named("deployments")!, position: bad.firstPosition)
            let caughtUp = try await ProjectionRunner(projection: fixed, store: db.store, client: db.client, logger: TestDatabase.logger).catchUp()
            #expect(caughtUp)
            let resumed = try await status(db, "deployments")
            #expect(resumed.state == "running" && resumed.position == head && resumed.failedPosition == nil)
        }
    }

    @Test func aCancelledRunnerNeverLeavesItsLockOnAPooledConnection() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 2)
            try await history.append(events: 3_000, to: db.store)
            let projection = ProjectionCatalog.named("progress")!
            // Cancelled at different moments of catching up in small batches: reading, applying,
            // asking about hand-over (each new runner starts over from a fresh live copy).
            for round in 0..<12 {
                try await db.client.query("DROP SCHEMA IF EXISTS proj_progress CASCADE", logger: TestDatabase.logger)
                let runner = ProjectionRebuildTests.runner(projection, db, batchSize: 20)
                let active = Task { try await runner.run() }
                try await Task.sleep(for: .milliseconds(3 + 17 * (round % 6)))
                active.cancel()
                _ = try? await active.value
                let held = try await db.client.query("""
                    SELECT count(*) FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """, logger: TestDatabase.logger)
                for try await count in held.decode(Int.self) { #expect(count == 0, "round \(round): a lock outlived its runner") }
            }
        }
    }

    @Test func aReaderDoesNotWaitForAnActiveRunnerStoppedByABadEvent() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 2)
            try await history.append(events: 300, to: db.store)
            _ = try await db.store.append(
                to: DomainIDs.deploymentStream("broken"), events: [try NewEvent(type: DeploymentQueued.eventType, data: Data(#"{"nope":1}"#.utf8))])
            let projection = ProjectionCatalog.named("deployments")!
            let active = Task { try await ProjectionRebuildTests.runner(projection, db).run() }
            defer { active.cancel() }
            try await withTimeout(.seconds(60)) {
                while try await ProjectionStatus.read([projection], client: db.client, store: db.store, logger: TestDatabase.logger)[0].state != "failed" {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            // Another process's command asks to read: it learns at once that the projection is stuck,
            // instead of waiting out its whole timeout for a runner that will not get there.
            let caughtUp = try await withTimeout(.seconds(60)) {
                try await ProjectionRebuildTests.runner(projection, db).catchUp(timeout: .seconds(600))
            }
            #expect(!caughtUp)
        }
    }

    /// A gateway in another process (`ledger serve` beside `ledger project`) reads the checkpoint
    /// rows: once the log moves on with events a projection does not read, its row follows within
    /// about a second (the idle save interval), not after the runner's slow poll.
    @Test func anIdleProjectionsCheckpointRowFollowsTheHeadForReadersElsewhere() async throws {
        try await TestDatabase.withDatabase { db in
            try await SyntheticHistory.oneOrganisation(environments: 2).append(events: 100, to: db.store)
            let audit = ProjectionCatalog.named("audit")!
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await db.store.headListener.run() }
                // The production poll (5 s), not the tests' quick one: the row must not wait for it.
                let runner = ProjectionRunner(projection: audit, store: db.store, client: db.client, logger: TestDatabase.logger)
                group.addTask { try await ProjectionGroupRunner(runners: [runner], logger: TestDatabase.logger).run() }
                defer { group.cancelAll() }
                let here = ProjectionReader(client: db.client, logger: TestDatabase.logger)
                try await here.awaitPosition(nil, of: ["audit"], store: db.store)
                // An event the audit trail does not read, once the idle save interval has passed:
                // its row is saved at once. Then another, right after: that one's save waits.
                try await Task.sleep(for: .milliseconds(1_200))
                let first = try await db.store.append(to: try StreamID("unrelated-1"), events: [try NewEvent(type: "Unrelated", data: Data("{}".utf8))])
                try await withTimeout(.seconds(10)) {
                    while try await here.position(of: "audit") < first.lastPosition { try await Task.sleep(for: .milliseconds(10)) }
                }
                _ = try await db.store.append(to: try StreamID("unrelated-2"), events: [try NewEvent(type: "Unrelated", data: Data("{}".utf8))])
                let elsewhere = EventStore(client: db.client, logger: TestDatabase.logger)
                let reader = ProjectionReader(client: db.client, awaitTimeout: .seconds(3), logger: TestDatabase.logger)
                try await reader.awaitPosition(nil, of: ["audit"], store: elsewhere)
            }
        }
    }

    /// The API's wait (which never applies events) learns as quickly that a projection is stuck.
    @Test func anAPIReadDoesNotWaitOutItsTimeoutForAProjectionStoppedByABadEvent() async throws {
        try await TestDatabase.withDatabase { db in
            try await SyntheticHistory.oneOrganisation(environments: 2).append(events: 100, to: db.store)
            _ = try await db.store.append(
                to: DomainIDs.deploymentStream("broken"), events: [try NewEvent(type: DeploymentQueued.eventType, data: Data(#"{"nope":1}"#.utf8))])
            let projection = ProjectionCatalog.named("deployments")!
            let active = Task { try await ProjectionRebuildTests.runner(projection, db).run() }
            defer { active.cancel() }
            try await withTimeout(.seconds(60)) {
                while try await ProjectionStatus.read([projection], client: db.client, store: db.store, logger: TestDatabase.logger)[0].state != "failed" {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let reader = ProjectionReader(client: db.client, awaitTimeout: .seconds(600), logger: TestDatabase.logger)
            let error = await #expect(throws: LedgerError.self) {
                try await withTimeout(.seconds(60)) { try await reader.awaitPosition(nil, of: ["deployments"], store: db.store) }
            }
            #expect(error?.code == .projectionBehind && error?.message.contains("stopped by a bad event") == true, "\(String(describing: error))")
        }
    }

    @Test func aReaderTakesOverFromAnActiveRunnerThatGoesAwayWhileItWaits() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 2)
            try await history.append(events: 300, to: db.store)
            let projection = ProjectionCatalog.named("progress")!
            let head = try await db.store.headPosition()
            // Another process holds the runner lock without working, as a killed projector's server
            // process does until it notices its client is gone; then it lets go.
            let caughtUp = try await db.client.withConnection { holder in
                try await holder.query(
                    "SELECT pg_advisory_lock(\(ProjectionRegistry.runnerLockClass), hashtext(\(projection.name)))", logger: TestDatabase.logger)
                let reader = Task { try await ProjectionRebuildTests.runner(projection, db).catchUp(timeout: .seconds(60)) }
                try await Task.sleep(for: .milliseconds(500))
                try await holder.query(
                    "SELECT pg_advisory_unlock(\(ProjectionRegistry.runnerLockClass), hashtext(\(projection.name)))", logger: TestDatabase.logger)
                return try await withTimeout(.seconds(30)) { try await reader.value }
            }
            #expect(caughtUp)
            #expect(try await status(db, "progress").position == head)
        }
    }

    @Test func aBadEventFailsOnlyItsOwnProjectionInASharedRebuild() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 2)
            try await history.append(events: 600, to: db.store)
            for projection in ProjectionCatalog.all {
                _ = try await ProjectionRebuildTests.runner(projection, db).catchUp()
            }
            let bad = try await db.store.append(
                to: DomainIDs.deploymentStream("broken"), events: [try NewEvent(type: DeploymentQueued.eventType, data: Data(#"{"nope":1}"#.utf8))])
            try await history.append(events: 600, to: db.store)
            let before = try await ProjectionComparison.fingerprint("proj_deployments.state", client: db.client, logger: TestDatabase.logger)

            let outcome = try await ProjectionSetRebuilder(runners: ProjectionCatalog.all.map { ProjectionRebuildTests.runner($0, db) }).rebuild()
            // Exactly the projections that read the bad event's type fail, each naming it.
            let readers = Set(ProjectionCatalog.all.filter { $0.eventTypes.contains(DeploymentQueued.eventType) }.map(\.name))
            #expect(readers.contains("deployments") && readers.count < ProjectionCatalog.all.count)
            #expect(Set(outcome.failed.keys) == readers)
            #expect(outcome.failed.values.allSatisfy { $0.contains("\(bad.firstPosition)") && $0.contains("DeploymentQueued") })
            #expect(Set(outcome.rebuilt.keys) == Set(ProjectionCatalog.all.map(\.name)).subtracting(readers))
            // The failed one keeps its live copy as it was, and leaves no half-built copy behind.
            let after = try await ProjectionComparison.fingerprint("proj_deployments.state", client: db.client, logger: TestDatabase.logger)
            #expect(after == before)
            let leftover = try await db.client.query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%\\_next'", logger: TestDatabase.logger)
            for try await count in leftover.decode(Int.self) { #expect(count == 0) }
            let head = try await db.store.headPosition()
            for name in Set(ProjectionCatalog.all.map(\.name)).subtracting(readers) {
                let other = try await status(db, name)
                #expect(other.state == "running" && other.position == head, "\(name)")
            }
        }
    }

    @Test func aStandbyRunnerTakesOverWhenTheActiveOneStops() async throws {
        try await TestDatabase.withDatabase { db in
            let projection = ProjectionCatalog.named("environments")!
            var setup = SyntheticHistory()
            setup.organisations = 1
            setup.environmentsPerOrganisation = 3
            let history = setup
            try await history.append(events: 300, to: db.store)
            try await db.withSecondStore { secondStore in
                let first = Task { try await ProjectionRebuildTests.runner(projection, db).run() }
                try await ProjectionRebuildTests.waitUntilCaughtUp(db, [projection], timeout: .seconds(30))
                var standby = ProjectionRunnerConfiguration()
                standby.standbyInterval = .milliseconds(100)
                let configuration = standby
                let second = Task {
                    try await TestDatabase.withClient(db.url) { client in
                        try await ProjectionRunner(projection: projection, store: secondStore, client: client, configuration: configuration, logger: TestDatabase.logger).run()
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                first.cancel()
                _ = try? await first.value
                try await history.append(events: 300, to: db.store)
                try await ProjectionRebuildTests.waitUntilCaughtUp(db, [projection], timeout: .seconds(30))
                second.cancel()
                _ = try? await second.value
            }
        }
    }

    @Test func twoConcurrentDeployRequestsForOneEnvironmentExactlyOneSucceeds() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await service.createOrganisation(id: "acme", name: "Acme", context: .init(actor: "ana"))
            try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: .init(actor: "ana"))
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: .init(actor: "ana"))
            try await db.withSecondStore { secondStore in
                let other = DeploymentService(store: secondStore, source: "test")
                for round in 0..<10 {
                    async let a: Result<String, any Error> = Self.attempt(service, "aaaaaa\(round)")
                    async let b: Result<String, any Error> = Self.attempt(other, "bbbbbb\(round)")
                    let results = await [a, b]
                    let winners = results.compactMap { try? $0.get() }
                    #expect(winners.count == 1, "round \(round): \(results)")
                    for case .failure(let error) in results {
                        let rejection = error as? CommandRejection
                        #expect(rejection?.code == .deploymentInFlight || rejection?.code == .conflict, "\(error)")
                    }
                    let environment = try await service.environment("shop-prod")
                    #expect(environment?.inFlight == winners.first)
                    if let winner = winners.first { try await service.cancel(winner, context: .init(actor: "ana")) }
                }
            }
        }
    }

    static func attempt(_ service: DeploymentService, _ commit: String) async -> Result<String, any Error> {
        do {
            let outcome = try await service.deploy(environment: "shop-prod", git: GitReference(commit: commit), context: .init(actor: commit))
            return .success(outcome.deploymentID!)
        } catch {
            return .failure(error)
        }
    }

    @Test func timeTravelShowsWhatWasRunningAtAPastPosition() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await service.createOrganisation(id: "acme", name: "Acme", context: .init(actor: "ana"))
            try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: .init(actor: "ana"))
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", pipeline: [DeploymentStep(rawValue: "initializing")!], resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)),
                context: .init(actor: "ana"))
            var configuration = DeploymentSimulator.Configuration()
            configuration.speed = 0
            configuration.failureRate = 0
            let simulator = DeploymentSimulator(service: service, configuration: configuration, logger: TestDatabase.logger)
            let d1 = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "f1f5711"), context: .init(actor: "ana")).deploymentID!
            try await simulator.play(d1, seed: 1)
            let between = try await db.store.headPosition()
            let d2 = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "5ec0002"), context: .init(actor: "ana")).deploymentID!
            try await simulator.play(d2, seed: 2)

            let stream = DomainIDs.environmentStream("shop-prod")
            let then = EnvironmentState.fold(try await service.records(of: stream, throughPosition: between))
            let now = EnvironmentState.fold(try await service.records(of: stream))
            #expect(then?.currentRelease?.git.commit == "f1f5711")
            #expect(now?.currentRelease?.git.commit == "5ec0002")
            #expect(now?.lastStableRelease?.deploymentID == d1)
        }
    }
}
