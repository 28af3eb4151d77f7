import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Logging
import PostgresNIO
@testable import Projections
import Synchronization
import Testing

/// Invariants 6 and 7: live projections equal a rebuild from position 0, also after the
/// projector was killed mid-batch; rebuilds swap in while readers read.
@Suite(.serialized) struct ProjectionRebuildTests {
    static func runner(_ projection: any Projection, _ db: TestContext, batchSize: Int = 2_000) -> ProjectionRunner {
        var configuration = ProjectionRunnerConfiguration()
        configuration.batchSize = batchSize
        // Small rebuild pages, so that rebuilds in tests span many pages (and gather, and evict).
        configuration.rebuildBatchSize = 700
        configuration.pollInterval = .milliseconds(200)
        configuration.standbyInterval = .milliseconds(100)
        return ProjectionRunner(projection: projection, store: db.store, client: db.client, configuration: configuration, logger: TestDatabase.logger)
    }

    /// Builds a fresh `_next` copy of every projection and compares it with the live one.
    static func expectLiveEqualsRebuild(_ db: TestContext, of projections: [any Projection] = ProjectionCatalog.all) async throws {
        for projection in projections {
            let rebuilder = ProjectionRebuilder(runner: runner(projection, db))
            _ = try await db.client.withConnection { connection in
                try await rebuilder.build(on: connection, progress: { _ in })
            }
            let differences = try await ProjectionComparison.compare(
                tables: projection.tables, ProjectionSchema.live(projection).name, ProjectionSchema.next(projection).name,
                client: db.client, logger: TestDatabase.logger)
            for difference in differences {
                #expect(difference.isEqual, "\(projection.name): \(difference)")
                #expect(difference.rows > 0, "\(projection.name).\(difference.table) is empty")
            }
        }
    }

    static func waitUntilCaughtUp(
        _ db: TestContext, _ projections: [any Projection] = ProjectionCatalog.all, timeout: Duration = .seconds(120)
    ) async throws {
        let head = try await db.store.headPosition()
        try await withTimeout(timeout) {
            while true {
                let statuses = try await ProjectionStatus.read(projections, client: db.client, store: db.store, logger: TestDatabase.logger)
                if statuses.allSatisfy({ $0.position >= head }) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test func aRebuildFromZeroEqualsTheLiveProjectionsAfterARandomizedHistory() async throws {
        let seed = UInt64.random(in: 1...1_000_000)
        try await TestDatabase.withDatabase { db in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for projection in ProjectionCatalog.all {
                    let runner = Self.runner(projection, db, batchSize: 97)
                    group.addTask { try await runner.run() }
                }
                var history = SyntheticHistory()
                history.seed = seed
                history.organisations = 3
                history.environmentsPerOrganisation = 6
                history.failureRate = 0.3
                history.appendBatchEvents = 400
                let written = try await history.append(events: 10_000, to: db.store)
                #expect(written >= 10_000)
                // Some real commands through the service too, while the runners follow.
                let service = DeploymentService(store: db.store, source: "test")
                let request = CommandContext(actor: "ana")
                if try await service.environment("org0-app-env0")?.status == .destroyed {
                    try await service.deploy(environment: "org0-app-env0", git: GitReference(tag: "v9"), context: request)
                } else {
                    try await service.destroy(environment: "org0-app-env0", deleteData: false, context: request)
                }
                try await Self.waitUntilCaughtUp(db)
                group.cancelAll()
            }
            try await Self.expectLiveEqualsRebuild(db)

            // Rebuilding all of them in one shared pass gives the same rows again.
            let outcome = try await ProjectionSetRebuilder(runners: ProjectionCatalog.all.map { Self.runner($0, db) }).rebuild()
            let head = try await db.store.headPosition()
            #expect(outcome.failed.isEmpty, "\(outcome.failed)")
            #expect(Set(outcome.rebuilt.keys) == Set(ProjectionCatalog.all.map(\.name)))
            #expect(outcome.rebuilt.values.allSatisfy { $0.position == head })
            try await Self.expectLiveEqualsRebuild(db)
            let counts = try await db.client.query(
                """
                SELECT count(*) FILTER (WHERE event_type = 'DeploymentRolledBack'), count(*) FILTER (WHERE event_type = 'EnvironmentDestroyed'),
                       count(*) FILTER (WHERE event_type = 'DeploymentCancelled'), count(*) FILTER (WHERE event_type = 'DeploymentFailed')
                FROM ledger.events
                """, logger: TestDatabase.logger)
            for try await (rolledBack, destroyed, cancelled, failed) in counts.decode((Int, Int, Int, Int).self) {
                #expect(rolledBack > 0 && destroyed > 0 && cancelled > 0 && failed > 0, "history (seed \(seed)) lacks variety: \(rolledBack) \(destroyed) \(cancelled) \(failed)")
            }
        }
    }

    @Test func killingTheProjectorWithSigkillMidBatchLosesAndRepeatsNothing() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let binary = root.appendingPathComponent(".build/debug/ledger").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the package first (make test does)")
        try await TestDatabase.withDatabase { db in
            var history = SyntheticHistory()
            history.organisations = 2
            history.environmentsPerOrganisation = 10
            try await history.append(events: 30_000, to: db.store)
            var positions: [Int64] = []
            for round in 0..<5 {
                let delay = [0.8, 1.3, 0.5, 1.9, 1.1][round]
                let status = try await ShellCommand.run(
                    "DATABASE_URL=\(ShellCommand.quote(db.url.connectionString)) \(ShellCommand.quote(binary)) project --quiet >/dev/null 2>&1 & "
                        + "p=$!; sleep \(delay); kill -9 $p; wait $p; exit 0")
                #expect(status == 0)
                let statuses = try await ProjectionStatus.read(ProjectionCatalog.all, client: db.client, store: db.store, logger: TestDatabase.logger)
                positions.append(statuses.map(\.position).reduce(0, +))
            }
            // The projector got somewhere between kills (so they hit it at work)…
            #expect(positions.last! > 0)
            // …and after a restart, finishing the job gives exactly what a clean rebuild gives.
            for projection in ProjectionCatalog.all {
                let caughtUp = try await Self.runner(projection, db).catchUp()
                #expect(caughtUp, "\(projection.name) did not catch up")
            }
            try await Self.expectLiveEqualsRebuild(db)
        }
    }

    /// While a rebuild fills its copy, rows stay in memory and the copy's checkpoint runs ahead of
    /// them (they are written once at the end). Invariant 6 then rests on never resuming a copy
    /// left half-built by a crash: every build must start its copy over.
    @Test func aCopyLeftHalfBuiltByACrashIsNeverResumed() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 3)
            try await history.append(events: 1_500, to: db.store)
            let head = try await db.store.headPosition()
            for projection in ProjectionCatalog.all {
                let caughtUp = try await Self.runner(projection, db).catchUp()
                #expect(caughtUp)
            }
            // What a crash mid-build can leave: a `_next` copy whose checkpoint says "at the head"
            // while its rows were never written.
            for projection in ProjectionCatalog.all {
                let rebuilder = ProjectionRebuilder(runner: Self.runner(projection, db))
                try await db.client.withConnection { connection in
                    try await rebuilder.createNext(on: connection)
                    try await ProjectionSchema.next(projection).saveCheckpoint(
                        .init(position: head, events: head), rate: 0, on: connection, logger: TestDatabase.logger)
                }
            }
            let outcome = try await ProjectionSetRebuilder(runners: ProjectionCatalog.all.map { Self.runner($0, db) }).rebuild()
            #expect(outcome.failed.isEmpty, "\(outcome.failed)")
            let single = ProjectionCatalog.named("progress")!
            try await db.client.withConnection { connection in
                let rebuilder = ProjectionRebuilder(runner: Self.runner(single, db))
                try await rebuilder.createNext(on: connection)
                try await ProjectionSchema.next(single).saveCheckpoint(
                    .init(position: head, events: head), rate: 0, on: connection, logger: TestDatabase.logger)
            }
            _ = try await ProjectionRebuilder(runner: Self.runner(single, db)).rebuild()
            // The swapped-in copies hold every row (not the stale copies' none).
            try await Self.expectLiveEqualsRebuild(db)
        }
    }

    /// A projection whose rebuild fails one batch as a whole (a server error after its rows),
    /// though every event of it goes through alone.
    struct FailingOneRebuildBatch: WrappingProjection {
        final class Once: Sendable {
            let failed = Mutex(false)
        }
        let inner: any Projection
        let once = Once()
        func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
            try await inner.apply(batch, schema: schema, connection: connection, logger: logger)
            let failNow = batch.scratch != nil && batch.count > 1 && once.failed.withLock { failed in
                defer { failed = true }
                return !failed
            }
            if failNow { try await connection.query("SELECT 1 / 0", logger: logger) }
        }
        func finishBuild(_ scratch: ProjectionScratch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
            try await inner.finishBuild(scratch, schema: schema, connection: connection, logger: logger)
        }
    }

    /// Rows a rebuild kept in memory go with a failed batch; the rebuild must not swap in a copy
    /// that lacks them, even when every event of that batch then goes through on its own.
    @Test func aRebuildThatLostItsKeptRowsIsDiscardedNotSwappedIn() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 3)
            try await history.append(events: 3_000, to: db.store)
            let progress = ProjectionCatalog.named("progress")!
            let caughtUp = try await Self.runner(progress, db).catchUp()
            #expect(caughtUp)
            let failing = FailingOneRebuildBatch(inner: progress)
            await #expect(throws: LedgerError.self) { try await ProjectionRebuilder(runner: Self.runner(failing, db)).rebuild() }
            let nextLeft = try await db.client.withConnection { connection in
                try await ProjectionSchema.next(progress).exists(on: connection, logger: TestDatabase.logger)
            }
            #expect(!nextLeft)
            // The live copy is untouched, and a rebuild without the failure still equals it.
            try await Self.expectLiveEqualsRebuild(db, of: [progress])
        }
    }

    @Test func aRebuildSwapsInWhileReadersKeepReading() async throws {
        try await TestDatabase.withDatabase { db in
            let history = SyntheticHistory.oneOrganisation(environments: 4)
            try await history.append(events: 3_000, to: db.store)
            let projection = KeyedStateProjection<DeploymentsFold>()
            let reads = Flag(), failure = Flag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                let live = Self.runner(projection, db, batchSize: 200)
                group.addTask { try await live.run() }
                try await Self.runner(projection, db).catchUp()
                group.addTask {
                    let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
                    var filter = ProjectionReader.DeploymentFilter()
                    filter.limit = 20
                    while !Task.isCancelled {
                        do {
                            if try await reader.deployments(filter).count == 20 { reads.set() } else { failure.set() }
                        } catch {
                            if Task.isCancelled { return }
                            failure.set()
                        }
                    }
                }
                let summary = try await ProjectionRebuilder(runner: Self.runner(projection, db)).rebuild()
                #expect(summary.events > 0)
                try await history.append(events: 500, to: db.store)
                try await Self.waitUntilCaughtUp(db, [projection])
                group.cancelAll()
            }
            #expect(reads.isSet)
            #expect(!failure.isSet, "a reader failed or saw a partial table during the swap")
            _ = try await db.client.withConnection { connection in
                try await ProjectionRebuilder(runner: Self.runner(projection, db)).build(on: connection, progress: { _ in })
            }
            let differences: [ProjectionComparison.Difference] = try await ProjectionComparison.compare(
                tables: projection.tables, "proj_deployments", "proj_deployments_next", client: db.client, logger: TestDatabase.logger)
            let described = differences.map(\.description).joined(separator: "; ")
            #expect(differences.allSatisfy { $0.isEqual }, "\(described)")
        }
    }
}
