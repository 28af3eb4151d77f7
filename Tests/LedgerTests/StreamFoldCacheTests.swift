import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// An organisation folded once and then only from what was appended since is the organisation
/// a full fold gives, also when another process appended meanwhile.
@Suite struct StreamFoldCacheTests {
    @Test func anOrganisationFoldedIncrementallyEqualsAFullFold() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, ops) = try await Fixture.acmeShop(db)
            @Sendable func createEnvironment(_ index: Int, through service: DeploymentService) async throws {
                try await service.createEnvironment(
                    id: "env-\(index)", project: "shop", name: "env \(index)",
                    configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 10 * (index + 1), memoryMB: 1, diskGB: 1)),
                    context: ops)
            }
            func fullFold() async throws -> OrganisationState? {
                OrganisationState.fold(try await service.records(of: DomainIDs.organisationStream("acme")))
            }
            for index in 0..<3 { try await createEnvironment(index, through: service) }
            #expect(try await service.organisation("acme") == (try await fullFold()))
            #expect(db.store.folds.value(OrganisationState.self, of: DomainIDs.organisationStream("acme")) != nil, "kept")

            // Another process (a store of its own) appends; this one folds only the new events.
            try await db.withSecondStore { other in
                for index in 3..<6 { try await createEnvironment(index, through: DeploymentService(store: other, source: "test")) }
            }
            let incremental = try await service.organisation("acme")
            #expect(incremental == (try await fullFold()))
            #expect(incremental?.allocations.count == 6 && incremental?.used.cpuMillicores == 210)
        }
    }
}
