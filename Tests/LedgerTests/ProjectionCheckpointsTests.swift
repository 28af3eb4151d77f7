import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Projections
import Testing

/// A request waiting for its write to be projected is woken by the runner in its own process,
/// never before the projection's state holds the write; a store whose projections run
/// elsewhere is not answered from here.
@Suite struct ProjectionCheckpointsTests {
    @Test func aWriteIsSeenAsProjectedOnlyOnceTheStateHoldsIt() async throws {
        try await TestDatabase.withDatabase { db in
            let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let runners = ProjectionCatalog.all.map { ProjectionRunner(projection: $0, store: db.store, client: db.client, logger: TestDatabase.logger) }
                    try await ProjectionGroupRunner(runners: runners, logger: TestDatabase.logger).run()
                }
                // The group first prepares every projection's live tables; under the whole suite's
                // load on two cores that once took longer than the default 30 s.
                try await waitUntil("the runner is active in this process", within: .seconds(90)) {
                    await ProjectionCheckpoints.shared.wait(["setup"], of: db.store, reach: 0, timeout: .milliseconds(1))
                }
                let service = DeploymentService(store: db.store, source: "test")
                for round in 0..<5 {
                    let outcome = try await service.createOrganisation(id: "org-\(round)", name: "Org \(round)", context: CommandContext(actor: "ops"))
                    let position = try #require(outcome.position)
                    // Also a projection with nothing to do for it: idle, its state holds the write too.
                    #expect(await ProjectionCheckpoints.shared.wait(["setup", "deployments"], of: db.store, reach: position, timeout: .seconds(30)))
                    let organisations = try await reader.setup(kind: "organisation").map(\.id)
                    #expect(organisations.contains("org-\(round)"), "the write was seen as projected before the state held it")
                }
                // Another store on the same database: its projections do not run in this process.
                try await db.withSecondStore { other in
                    #expect(await !ProjectionCheckpoints.shared.wait(["setup"], of: other, reach: 1, timeout: .seconds(1)))
                }
                group.cancelAll()
            }
        }
    }
}
