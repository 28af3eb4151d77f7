import Foundation
import Ledger
import LedgerDomain
import PostgresNIO

/// A deployment as one answer shows it: its state, its progress and the log position both read
/// models reflect (the lower of the two), read in one round trip (the API's hottest reads).
public struct DeploymentView: Sendable {
    public var state: DeploymentState
    public var progress: DeploymentProgress?
    public var position: Int64
}

extension ProjectionReader {
    /// Deployment `id` with its progress and the position both projections reached; nil when
    /// the projection has no such deployment.
    public func deploymentView(_ id: String) async throws -> DeploymentView? {
        let rows: [PostgresRow]
        do {
            rows = try await client.liveQuery(
                """
                SELECT d.state::text, p.state::text,
                    (SELECT LEAST(a.position, b.position) FROM proj_deployments.checkpoint a, proj_progress.checkpoint b)
                FROM proj_deployments.state d LEFT JOIN proj_progress.state p ON p.key = d.key
                WHERE d.key = \(id)
                """, logger: logger)
        } catch {
            throw ProjectionReader.readFailure(error, "reading a deployment failed")
        }
        guard let row = rows.first else { return nil }
        do {
            let (state, progress, position) = try row.decode((String, String?, Int64?).self)
            return DeploymentView(
                state: try LedgerJSON.decode(DeploymentState.self, from: Data(state.utf8)),
                progress: try progress.map { try LedgerJSON.decode(DeploymentProgress.self, from: Data($0.utf8)) },
                position: position ?? 0)
        } catch let error as DecodingError {
            throw LedgerError(.invalidEvent, "a projection row does not decode: \(error)")
        }
    }
}

extension KeyedFold {
    /// The state the projection holds for the key whose stream's records these are, folded
    /// the way the projection folds them (only its event types, from the record that starts it).
    public static func fold(_ records: [DomainRecord]) -> State? {
        var state: State?
        for record in records where eventTypes.contains(record.event.eventType) {
            if state != nil {
                apply(record, to: &state!)
            } else {
                state = start(record)
            }
        }
        return state
    }
}

extension DeploymentView {
    /// A deployment as the projections will show it once they reach `position`, folded from
    /// its own stream's records (read through `position`): what a write answers without
    /// waiting for the projections.
    public static func folding(_ records: [DomainRecord], through position: Int64) -> DeploymentView? {
        guard let state = DeploymentsFold.fold(records) else { return nil }
        return DeploymentView(state: state, progress: ProgressFold.fold(records), position: position)
    }
}
