import Ledger
import LedgerDomain
import Testing

/// The deployment status table, every pair of states: the grid below is the table as the
/// README states it, written out by hand, and `canTransition(to:)` must agree on all 144 pairs.
@Suite struct StatusTableTests {
    /// Rows are from, columns to; `x` allowed, `.` refused.
    static let grid = """
                          pending queued building deploying success failed cancelled rolled_back timed_out destroyed awaiting_approval rejected
        pending              .      x       .         .        .      x        x          .          .         x             .            .
        queued               .      .       x         .        .      x        x          .          x         .             .            .
        building             .      .       .         x        x      x        x          .          x         x             .            .
        deploying            .      .       .         .        x      x        x          .          x         x             .            .
        success              .      .       .         .        .      .        .          x          .         .             .            .
        failed               .      .       .         .        .      .        .          .          .         .             .            .
        cancelled            .      .       .         .        .      .        .          .          .         .             .            .
        rolled_back          .      .       .         .        .      .        .          .          .         .             .            .
        timed_out            .      .       .         .        .      .        .          .          .         .             .            .
        destroyed            .      .       .         .        .      .        .          .          .         .             .            .
        awaiting_approval    x      .       .         .        .      .        x          .          .         .             .            x
        rejected             .      .       .         .        .      .        .          .          .         .             .            .
        """

    @Test func everyPairOfStatesIsAllowedOrRefusedAsTheTableSays() throws {
        let rows = Self.grid.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let columns = try rows[0].map { try #require(DeploymentStatus(rawValue: $0), "column \($0)") }
        #expect(Set(columns) == Set(DeploymentStatus.allCases), "every status is a column")
        var checked = 0
        for row in rows.dropFirst() {
            let from = try #require(DeploymentStatus(rawValue: row[0]), "row \(row[0])")
            #expect(row.count == columns.count + 1, "row \(from) has a cell per column")
            for (to, cell) in zip(columns, row.dropFirst()) {
                #expect(from.canTransition(to: to) == (cell == "x"), "\(from) → \(to): the table says \(cell == "x" ? "allowed" : "refused")")
                checked += 1
            }
        }
        #expect(checked == DeploymentStatus.allCases.count * DeploymentStatus.allCases.count)
    }

    /// A status with no way out is exactly a terminal one other than success (which can still
    /// be rolled back); and no status may stay where it is.
    @Test func terminalMeansNoWayOutButARollback() {
        for from in DeploymentStatus.allCases {
            let exits = DeploymentStatus.allCases.filter { from.canTransition(to: $0) }
            #expect(!exits.contains(from), "\(from) → \(from)")
            switch from {
            case .success: #expect(exits == [.rolledBack])
            case _ where from.isTerminal: #expect(exits.isEmpty, "\(from) is terminal")
            default: #expect(!exits.isEmpty, "\(from) is in flight and must be able to end")
            }
        }
    }
}
