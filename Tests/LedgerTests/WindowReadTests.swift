import Foundation
import Testing
import Ledger
@testable import Projections
import LedgerTestSupport

/// Reading the log by windows of positions, as a rebuild reads ahead: each window holds exactly
/// the events of its positions that pass the filter, whatever was read before it.
@Suite struct WindowReadTests {
    @Test func aWindowHoldsExactlyItsPositionsThatPassTheFilter() async throws {
        try await TestDatabase.withDatabase { db in
            for index in 0..<50 {
                let type = index % 3 == 0 ? "Kept" : "Other"
                _ = try await db.store.append(to: Fixture.stream("window-\(index % 4)"), events: [Fixture.event(type)])
            }
            let all = try await db.store.readAll(after: 0, limit: 100).events
            #expect(all.count == 50)

            let window = try await db.store.readWindow(after: 10, through: 30)
            #expect(window.map(\.position) == Array(11...30))
            #expect(window.map(\.id) == all.filter { (11...30).contains($0.position) }.map(\.id))

            let kept = try await db.store.readWindow(after: 10, through: 30, filter: EventFilter(eventTypes: ["Kept"]))
            #expect(kept.map(\.position) == all.filter { (11...30).contains($0.position) && $0.type == "Kept" }.map(\.position))
            #expect(!kept.isEmpty)

            // Read in any order, the windows still cover the log once.
            var covered: [Int64] = []
            for window in ProjectionSetRebuilder.windows(from: 0, through: 50, size: 7).reversed() {
                covered = try await db.store.readWindow(after: window.after, through: window.through).map(\.position) + covered
            }
            #expect(covered == Array(1...50))

            #expect(try await db.store.readWindow(after: 20, through: 20).isEmpty)
            #expect(try await db.store.readWindow(after: 50, through: 80).isEmpty)
            await #expect(throws: LedgerError.self) { try await db.store.readWindow(after: 30, through: 10) }
            #expect(try await db.store.firstPosition() == 1)
        }
    }

    @Test func windowsCutARangeIntoConsecutivePiecesOfTheGivenSize() {
        typealias Window = ProjectionSetRebuilder.Window
        #expect(ProjectionSetRebuilder.windows(from: 0, through: 45, size: 20) == [
            Window(after: 0, through: 20), Window(after: 20, through: 40), Window(after: 40, through: 45),
        ])
        #expect(ProjectionSetRebuilder.windows(from: 99, through: 100, size: 20) == [Window(after: 99, through: 100)])
        #expect(ProjectionSetRebuilder.windows(from: 7, through: 7, size: 20).isEmpty)
    }
}
