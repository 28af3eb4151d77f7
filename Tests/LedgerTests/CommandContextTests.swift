import Foundation
import Ledger
import LedgerDomain
import Projections
import LedgerTestSupport
import Testing

/// One way in: every command carries the caller's context into its events, respects its scope
/// and its idempotency key.
@Suite struct CommandContextTests {
    func seed(_ service: DeploymentService) async throws {
        let operator_ = CommandContext(actor: "ops")
        try await service.createOrganisation(id: "acme", name: "Acme", context: operator_)
        try await service.createOrganisation(id: "other", name: "Other", context: operator_)
        try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: operator_)
        try await service.createEnvironment(
            id: "shop-prod", project: "shop", name: "prod",
            configuration: EnvironmentConfiguration(host: "h", sshPort: 2222, resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)),
            context: operator_)
    }

    @Test func theContextReachesEveryEventsMetadata() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            let cause = UUID()
            let context = CommandContext(actor: "ana", source: "api", requestID: "req-42", causationID: cause)
            let outcome = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: context)
            let written = try await db.store.readAll(after: outcome.result!.firstPosition - 1).events.filter { $0.position <= outcome.position! }
            #expect(written.count == 2)
            for event in written {
                let metadata = try LedgerJSON.decode(EventMetadata.self, from: event.metadataJSON)
                #expect(metadata.actor == "ana" && metadata.source == "api" && metadata.requestID == "req-42")
                #expect(metadata.correlationID == context.correlationID && metadata.causationID == cause)
                #expect(metadata.organisation == "acme" && metadata.project == "shop")
            }
        }
    }

    @Test func aCallerScopedToAnotherOrganisationIsToldNotFoundAndWritesNothing() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            let head = try await db.store.headPosition()
            let outsider = CommandContext(actor: "eve", scope: .init(organisation: "other"))
            // Another organisation's environment and one that does not exist are told apart by nothing.
            for environment in ["shop-prod", "no-such-env"] {
                await #expect(throws: CommandRejection(.notFound, "no such environment")) {
                    try await service.deploy(environment: environment, git: GitReference(commit: "abc1234"), context: outsider)
                }
                await #expect(throws: CommandRejection(.notFound, "no such environment")) {
                    try await service.configureEnvironment(environment, changes: ConfigurationChanges(memoryMB: 2), context: outsider)
                }
            }
            #expect(try await db.store.headPosition() == head)
            let insider = CommandContext(actor: "ana", scope: .init(organisation: "acme", project: "shop"))
            #expect(try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: insider).result != nil)
        }
    }

    @Test func aCommandSentAgainWithItsIdempotencyKeyIsCarriedOutOnce() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            let context = CommandContext(actor: "ana", idempotencyKey: "deploy-abc-1")
            let first = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: context)
            // The same key again, and again at once from two callers: nothing new is written.
            async let second = service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: context)
            async let third = service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: context)
            let again = try await [second, third]
            for outcome in again {
                #expect(outcome.replayed)
                #expect(outcome.deploymentID == first.deploymentID)
                #expect(outcome.position == first.position)
            }
            let requested = try await db.store.readAll(after: 0, filter: EventFilter(eventTypes: [DeploymentRequested.eventType])).events
            #expect(requested.count == 1)
            // Another key is another command (refused here: one deployment is already in flight).
            await #expect(throws: CommandRejection.self) {
                try await service.deploy(
                    environment: "shop-prod", git: GitReference(commit: "abc1234"), context: CommandContext(actor: "ana", idempotencyKey: "deploy-abc-2"))
            }
        }
    }

    @Test func changingSomeSettingsKeepsTheOthers() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(memoryMB: 512, branch: "release"), context: .init(actor: "ana"))
            let configuration = try #require(try await service.environment("shop-prod")?.configuration)
            #expect(configuration.resources.memoryMB == 512 && configuration.branch == "release")
            #expect(configuration.sshPort == 2222 && configuration.host == "h" && configuration.resources.cpuMillicores == 1)
        }
    }

    @Test func aWriteIsReadableThroughItsProjectionOnceCaughtUpToThePositionItReturned() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            let outcome = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: .init(actor: "ana"))
            let behind = try await ProjectionCatalog.catchUp(
                ["deployments", "environments"], through: outcome.position, store: db.store, client: db.client, logger: TestDatabase.logger)
            #expect(behind.isEmpty)
            let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
            #expect(try await reader.deployment(try #require(outcome.deploymentID))?.status == .pending)
            #expect(try await reader.environment("shop-prod")?.inFlight == outcome.deploymentID)
        }
    }

    @Test func timeTravelFoldsAnEnvironmentAsItWasAtAPositionOrInstant() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            let before = try await db.store.headPosition()
            try await service.configureEnvironment("shop-prod", changes: ConfigurationChanges(sshPort: 2022), context: .init(actor: "ana"))
            let then = try #require(try await service.environment("shop-prod", at: .position(before)))
            #expect(then.state.configuration?.sshPort == 2222 && then.position <= before)
            #expect(try await service.environment("shop-prod", at: .now)?.state.configuration?.sshPort == 2022)
            #expect(try await service.environment("shop-prod", at: .instant(microseconds: then.recordedAtMicroseconds))?.state.configuration?.sshPort == 2222)
            #expect(try await service.environment("shop-prod", at: .instant(microseconds: 0)) == nil)
        }
    }
}
