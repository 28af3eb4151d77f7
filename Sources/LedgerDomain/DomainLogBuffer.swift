import Ledger

/// The deployment domain's streams held in memory: applies a ``Decision`` the way the store
/// would (expected versions checked, positions and versions assigned, a clock that ticks 1 ms
/// per event) and folds the states back. Tests use it to check decisions without a database;
/// the benchmark uses it to generate long, valid histories fast and then append them in bulk
/// (``drainPending()``).
public struct DomainLogBuffer: Sendable {
    public private(set) var streams: [StreamID: [DomainRecord]] = [:]
    /// Events applied since the last ``drainPending()``, in order.
    public private(set) var pending: [(StreamID, DomainEvent)] = []
    private var versions: [StreamID: Int64] = [:]
    public private(set) var position: Int64 = 0
    public var clockMicroseconds: Int64 = 1_700_000_000_000_000

    public init() {}

    /// Appends a decision's writes atomically; a stale expected version throws ``AppendConflict``.
    public mutating func apply(_ decision: Decision) throws {
        for write in decision.writes {
            let version = versions[write.streamID] ?? 0
            switch write.expectedVersion {
            case .any: break
            case .noStream where version == 0: break
            case .exact(let expected) where expected == version: break
            default: throw AppendConflict(streamID: write.streamID, expected: write.expectedVersion, actual: version)
            }
        }
        for write in decision.writes {
            for event in write.events {
                position += 1
                clockMicroseconds += 1_000
                let version = (versions[write.streamID] ?? 0) + 1
                versions[write.streamID] = version
                pending.append((write.streamID, event))
                streams[write.streamID, default: []].append(DomainRecord(
                    position: position, streamID: write.streamID, streamVersion: version,
                    recordedAtMicroseconds: clockMicroseconds, event: event))
            }
        }
    }

    /// Returns and clears the events applied since the last call.
    public mutating func drainPending() -> [(StreamID, DomainEvent)] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    /// Drops a stream's records from memory (its version is kept, so later writes still check).
    public mutating func forget(_ stream: StreamID) {
        streams[stream] = nil
    }

    public func records(_ stream: StreamID) -> [DomainRecord] { streams[stream] ?? [] }
    public func organisation(_ id: String) -> OrganisationState? { OrganisationState.fold(records(DomainIDs.organisationStream(id))) }
    public func project(_ id: String) -> ProjectState? { ProjectState.fold(records(DomainIDs.projectStream(id))) }
    public func environment(_ id: String) -> EnvironmentState? { EnvironmentState.fold(records(DomainIDs.environmentStream(id))) }
    public func deployment(_ id: String) -> DeploymentState? { DeploymentState.fold(records(DomainIDs.deploymentStream(id))) }
    public func progress(_ id: String) -> DeploymentProgress? { DeploymentProgress.fold(records(DomainIDs.deploymentStream(id))) }
}
