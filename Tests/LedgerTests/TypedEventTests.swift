import Foundation
import Testing
import Ledger
import LedgerTestSupport

@Suite struct TypedEventTests {
    struct BuildStarted: LedgerEvent, Equatable {
        static let eventType = "BuildStarted"
        var step: String
        var startedAt: Date
    }

    @Test func typedEventsRoundTripThroughTheLog() async throws {
        try await TestDatabase.withDatabase { db in
            let event = BuildStarted(step: "build", startedAt: Date(timeIntervalSince1970: 1_800_000_000))
            _ = try await db.store.append(to: Fixture.stream("deployment-1"), events: [try NewEvent(event, metadata: EventMetadata(actor: "ana"))])
            let recorded = try await db.store.read(stream: Fixture.stream("deployment-1"))[0]
            #expect(recorded.type == "BuildStarted" && recorded.schemaVersion == 1)
            #expect(try recorded.decode(as: BuildStarted.self) == event)
        }
    }
}
