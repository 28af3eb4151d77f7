import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// An organisation's quota is enforced when environments are created, configured and deployed,
/// and race-free: the check and the allocation it records are one append at the organisation
/// stream's version.
@Suite struct QuotaEnforcementTests {
    static func configuration(ram: Int, cpu: Int = 500) -> EnvironmentConfiguration {
        EnvironmentConfiguration(
            host: "10.0.0.5", pipeline: DeploymentStep.standardPipeline.prefix(2).map { $0 },
            resources: Resources(cpuMillicores: cpu, memoryMB: ram, diskGB: 10))
    }

    /// `acme` with 4,096 MB of RAM, 2 CPUs, 100 GB of disk, and project `shop`.
    func seed(_ service: DeploymentService) async throws {
        try await service.createOrganisation(
            id: "acme", name: "Acme", quota: Resources(cpuMillicores: 2_000, memoryMB: 4_096, diskGB: 100), context: .init(actor: "ana"))
        try await service.createProject(id: "shop", organisation: "acme", name: "Shop", context: .init(actor: "ana"))
    }

    func rejection(_ body: () async throws -> Void) async -> CommandRejection? {
        do {
            try await body()
            return nil
        } catch {
            return error as? CommandRejection
        }
    }

    @Test func creatingWithinTheQuotaIsAllowedAndBeyondItIsRejectedNamingTheResource() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            try await service.createEnvironment(id: "shop-a", project: "shop", name: "a", configuration: Self.configuration(ram: 3_000), context: .init(actor: "ana"))
            let head = try await db.store.headPosition()
            let refused = await rejection {
                try await service.createEnvironment(id: "shop-b", project: "shop", name: "b", configuration: Self.configuration(ram: 2_000), context: .init(actor: "ana"))
            }
            #expect(refused?.code == .quotaExceeded)
            #expect(refused?.message.contains("RAM") == true && refused?.message.contains("3000 MB used") == true
                && refused?.message.contains("2000 requested") == true && refused?.message.contains("4096 allowed") == true)
            #expect(try await db.store.headPosition() == head, "a refused command writes nothing")
            #expect(try await service.environment("shop-b") == nil)
            try await service.createEnvironment(id: "shop-b", project: "shop", name: "b", configuration: Self.configuration(ram: 1_096), context: .init(actor: "ana"))
            #expect(try await service.organisation("acme")?.used.memoryMB == 4_096)
        }
    }

    @Test func configuringBeyondTheQuotaIsRejectedAndShrinkingIsAlwaysAllowed() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            try await service.createEnvironment(id: "shop-a", project: "shop", name: "a", configuration: Self.configuration(ram: 2_000), context: .init(actor: "ana"))
            try await service.createEnvironment(id: "shop-b", project: "shop", name: "b", configuration: Self.configuration(ram: 2_000), context: .init(actor: "ana"))
            let refused = await rejection {
                try await service.configureEnvironment("shop-a", configuration: Self.configuration(ram: 2_200), context: .init(actor: "ana"))
            }
            #expect(refused?.code == .quotaExceeded)
            #expect(try await service.environment("shop-a")?.configuration?.resources.memoryMB == 2_000)
            try await service.configureEnvironment("shop-a", configuration: Self.configuration(ram: 2_096), context: .init(actor: "ana"))
            try await service.configureEnvironment("shop-b", configuration: Self.configuration(ram: 1_000), context: .init(actor: "ana"))
            #expect(try await service.organisation("acme")?.used.memoryMB == 3_096)
        }
    }

    @Test func deployingADestroyedEnvironmentAgainMustFitAndTheDestroyFreedItsShare() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            try await service.createEnvironment(id: "shop-a", project: "shop", name: "a", configuration: Self.configuration(ram: 3_000), context: .init(actor: "ana"))
            try await service.destroy(environment: "shop-a", deleteData: false, context: .init(actor: "ana"))
            #expect(try await service.organisation("acme")?.used.memoryMB == 0)
            // Its share is free: another environment may take it...
            try await service.createEnvironment(id: "shop-b", project: "shop", name: "b", configuration: Self.configuration(ram: 3_000), context: .init(actor: "ana"))
            // ...and then deploying the destroyed one again would take the organisation over.
            let refused = await rejection {
                try await service.deploy(environment: "shop-a", git: GitReference(branch: "main", commit: "abc1234"), context: .init(actor: "ana"))
            }
            #expect(refused?.code == .quotaExceeded)
            try await service.configureEnvironment("shop-b", configuration: Self.configuration(ram: 1_000), context: .init(actor: "ana"))
            try await service.deploy(environment: "shop-a", git: GitReference(branch: "main", commit: "abc1234"), context: .init(actor: "ana"))
            #expect(try await service.organisation("acme")?.used.memoryMB == 4_000)
        }
    }

    @Test func twoConcurrentRequestsThatEachFitAloneCannotBothGetIn() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            try await seed(service)
            for round in 0..<5 {
                // 3,000 MB each: either fits alone in 4,096, together they do not.
                let results = await withTaskGroup(of: CommandRejection.Code?.self) { group in
                    for side in ["x", "y"] {
                        group.addTask {
                            do {
                                try await service.createEnvironment(
                                    id: "shop-\(round)\(side)", project: "shop", name: side, configuration: Self.configuration(ram: 3_000), context: .init(actor: side))
                                return nil
                            } catch {
                                return (error as? CommandRejection)?.code ?? .conflict
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter { $0 == nil }.count == 1, "round \(round): \(results)")
                #expect(results.contains(.quotaExceeded))
                #expect(try await service.organisation("acme")!.used.memoryMB <= 4_096)
                let winner = try await service.environment("shop-\(round)x") != nil ? "shop-\(round)x" : "shop-\(round)y"
                try await service.destroy(environment: winner, deleteData: false, context: .init(actor: "ana"))
            }
        }
    }
}
