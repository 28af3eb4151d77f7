import Ledger

/// A moment of the past to look at: a global position, or an instant.
public enum HistoryPoint: Sendable, Equatable {
    /// Everything up to and including this position.
    case position(Int64)
    /// Everything recorded at or before this instant (recorded-at never decreases along positions).
    case instant(microseconds: Int64)
    /// Everything so far.
    case now
}

/// What a stream said at a moment of the past, and the last event that moment includes.
public struct HistorySnapshot<State: Sendable>: Sendable {
    public var state: State
    /// The position and time of the newest event folded in.
    public var position: Int64
    public var recordedAtMicroseconds: Int64
}

/// Time travel: an environment or a deployment as it was, folded from the log itself (not from a
/// projection), with the same folds the decisions and projections use.
extension DeploymentService {
    /// The environment at `point`; nil if it did not exist yet.
    public func environment(_ id: String, at point: HistoryPoint) async throws -> HistorySnapshot<EnvironmentState>? {
        try DomainIDs.validate(id, kind: "environment")
        let records = try await records(of: DomainIDs.environmentStream(id), at: point)
        guard let state = EnvironmentState.fold(records), let last = records.last else { return nil }
        return HistorySnapshot(state: state, position: last.position, recordedAtMicroseconds: last.recordedAtMicroseconds)
    }

    /// The deployment and its progress at `point`; nil if it did not exist yet.
    public func deployment(
        _ id: String, at point: HistoryPoint
    ) async throws -> HistorySnapshot<(deployment: DeploymentState, progress: DeploymentProgress)>? {
        try DomainIDs.validate(id, kind: "deployment")
        let records = try await records(of: DomainIDs.deploymentStream(id), at: point)
        guard let state = DeploymentState.fold(records), let progress = DeploymentProgress.fold(records), let last = records.last else { return nil }
        return HistorySnapshot(state: (state, progress), position: last.position, recordedAtMicroseconds: last.recordedAtMicroseconds)
    }

    private func records(of stream: StreamID, at point: HistoryPoint) async throws -> [DomainRecord] {
        switch point {
        case .now: try await records(of: stream)
        case .position(let position): try await records(of: stream, throughPosition: position)
        case .instant(let microseconds): try await records(of: stream).filter { $0.recordedAtMicroseconds <= microseconds }
        }
    }
}
