import Foundation
import Ledger
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
