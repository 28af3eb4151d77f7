import Ledger

/// A server as its stream tells it: address, login, pinned host key, capacity, and what each
/// environment on it is allocated.
public struct ServerState: Codable, Sendable, Equatable {
    public var registration: ServerRegistered
    public var removed: Bool
    /// Allocation per environment; environments that left or were destroyed are absent.
    public var allocations: [String: Resources]
    public var version: Int64

    public var serverID: String { registration.serverID }
    public var organisationID: String { registration.organisationID }

    /// The sum of every environment's allocation.
    public var used: Resources { allocations.values.reduce(.zero, +) }

    public static func fold(_ records: [DomainRecord]) -> ServerState? {
        guard let first = records.first, case .serverRegistered(let registered) = first.event else { return nil }
        var state = ServerState(registration: registered, removed: false, allocations: [:], version: first.streamVersion)
        for record in records.dropFirst() {
            state.version = record.streamVersion
            switch record.event {
            case .serverRemoved: state.removed = true
            case .serverAllocationChanged(let e):
                state.allocations[e.environmentID] = e.resources == .zero ? nil : e.resources
            default: break
            }
        }
        return state
    }
}
