import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// A command that begins a stream knows that stream's records without reading them back: the
/// records it reports are the ones the log returns, to the byte of every field.
@Suite struct OutcomeRecordsTests {
    @Test func aNewDeploymentsStreamIsWhatTheLogHolds() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, ops) = try await Fixture.acmeShop(db)
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 10, memoryMB: 1, diskGB: 1)), context: ops)
            // Other writers in between, so positions are not simply 1, 2, 3.
            try await service.createEnvironment(id: "shop-test", project: "shop", name: "test", configuration: nil, context: ops)

            let deployed = try await service.deploy(
                environment: "shop-prod", git: GitReference(branch: "main", commit: "abc1234", message: "ship it"), context: ops)
            let stream = DomainIDs.deploymentStream(try #require(deployed.deploymentID))
            let known = try #require(deployed.records(ofStreamBegun: stream))
            #expect(!known.isEmpty)
            #expect(known == (try await service.records(of: stream)))

            // A stream that had events before is not begun by the command: it is read instead.
            let cancelled = try await service.cancel(try #require(deployed.deploymentID), context: ops)
            #expect(cancelled.result != nil)
            #expect(cancelled.records(ofStreamBegun: stream) == nil)
            // Nor is one the command did not write.
            #expect(deployed.records(ofStreamBegun: DomainIDs.deploymentStream("elsewhere")) == nil)
        }
    }
}
