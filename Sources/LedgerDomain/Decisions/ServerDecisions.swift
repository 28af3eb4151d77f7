import Ledger
import Foundation

/// Servers: registering and removing them, and the capacity check (seed 002): the allocations
/// of a server's environments may not exceed its CPU, RAM or disk.
public enum ServerDecisions {
    /// Registers a server whose key is one of its own organisation's keyring: the recorded key
    /// fingerprint is the keyring's, whatever the caller said.
    public static func register(
        _ requested: ServerRegistered, organisation: OrganisationState?, existing: ServerState?, keyring: KeyringState
    ) throws -> Decision {
        var registration = requested
        try DomainIDs.validate(registration.serverID, kind: "server")
        guard organisation != nil, keyring.organisationID == registration.organisationID else { throw CommandRejection(.notFound, "no such organisation") }
        guard existing == nil else { throw CommandRejection(.alreadyExists, "server \(registration.serverID) already exists") }
        guard registration.keyPath == nil else {
            throw CommandRejection(.invalid, "a server names a key of its organisation's keyring by id, not a file path")
        }
        guard let keyID = registration.keyID, let fingerprint = keyring.fingerprints[keyID] else {
            throw CommandRejection(
                .notFound, "no key '\(registration.keyID ?? "")' in the keyring of \(registration.organisationID) (an operator adds one with `ledger keys add`)")
        }
        registration.keyFingerprint = fingerprint
        var problems: [String] = []
        if registration.host.isEmpty || registration.host.count > 253 || registration.host.contains(where: \.isWhitespace) {
            problems.append("host must be a host name or address")
        }
        if !(1...65_535).contains(registration.port) { problems.append("port must be 1–65535") }
        if registration.user.isEmpty || registration.user.count > 32 || registration.user.contains(where: \.isWhitespace) {
            problems.append("user must be 1–32 characters without spaces")
        }
        if !registration.hostKeyFingerprint.hasPrefix("SHA256:") || registration.hostKeyFingerprint.count > 128 {
            problems.append("\(registration.hostKeyFingerprint) is not a SHA256 fingerprint")
        }
        let capacity = registration.capacity
        problems += capacity.problems("capacity:", lowest: 1)
        guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid server: " + problems.joined(separator: "; ")) }
        return Decision([.init(DomainIDs.serverStream(registration.serverID), expectedVersion: .noStream, [.serverRegistered(registration)])])
    }

    /// Removes a server no environment uses any more.
    public static func remove(_ server: ServerState?) throws -> Decision {
        guard let server, !server.removed else { throw CommandRejection(.notFound, "no such server") }
        guard server.allocations.isEmpty else {
            throw CommandRejection(
                .wrongStatus, "server \(server.serverID) is still used by \(server.allocations.keys.sorted().joined(separator: ", ")); move or destroy them first")
        }
        return Decision([.init(DomainIDs.serverStream(server.serverID), expectedVersion: .exact(server.version), [.serverRemoved(ServerRemoved(serverID: server.serverID))])])
    }

    /// Records that an operator broke `environment`'s deploy lock on `server`; refused while a
    /// deployment of the environment is in flight (its worker holds the lock for a reason).
    public static func breakLock(
        on server: ServerState?, environment: EnvironmentState?, deployPath: String, lock: String, reason: String
    ) throws -> Decision {
        guard let server, !server.removed else { throw CommandRejection(.notFound, "no such server") }
        guard let environment, environment.organisationID == server.organisationID else { throw CommandRejection(.notFound, "no such environment") }
        guard environment.configuration?.server == server.serverID else {
            throw CommandRejection(.invalid, "environment \(environment.environmentID) does not deploy to server \(server.serverID)")
        }
        if let inFlight = environment.inFlight {
            throw CommandRejection(.deploymentInFlight, "deployment \(inFlight) is in flight on \(environment.environmentID); cancel it rather than break its lock")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CommandRejection(.invalid, "breaking a lock needs a reason (it goes into the audit trail)") }
        return Decision([.init(DomainIDs.serverStream(server.serverID), expectedVersion: .any, [
            .deployLockBroken(DeployLockBroken(
                serverID: server.serverID, environmentID: environment.environmentID, deployPath: deployPath, lock: lock, reason: reason))
        ])])
    }

    /// The write recording `resources` for `environmentID` on `server`, after checking every
    /// resource that grows still fits; nil when nothing changes.
    public static func allocate(_ resources: Resources, to environmentID: String, organisation: String, on server: ServerState) throws -> Decision.Write? {
        guard !server.removed, server.organisationID == organisation else { throw CommandRejection(.notFound, "no such server: \(server.serverID)") }
        let current = server.allocations[environmentID] ?? .zero
        guard current != resources else { return nil }
        if let over = ResourceOverrun.first(
            requested: resources, current: current, used: server.used, limits: server.registration.capacity, zeroMeansUnlimited: false)
        {
            throw CommandRejection(
                .capacityExceeded,
                "server \(server.serverID) is over its \(over.name) capacity: \(over.usedByOthers) \(over.unit) allocated to other environments + "
                    + "\(over.requested) requested for \(environmentID) > \(over.limit) available")
        }
        return record(resources, for: environmentID, on: server)
    }

    /// The write freeing `environmentID`'s allocation on `server`; nil when it had none.
    public static func release(_ environmentID: String, on server: ServerState?) -> Decision.Write? {
        guard let server, server.allocations[environmentID] != nil else { return nil }
        return record(.zero, for: environmentID, on: server)
    }

    private static func record(_ resources: Resources, for environmentID: String, on server: ServerState) -> Decision.Write {
        .init(DomainIDs.serverStream(server.serverID), expectedVersion: .exact(server.version), [
            .serverAllocationChanged(ServerAllocationChanged(serverID: server.serverID, environmentID: environmentID, resources: resources))
        ])
    }
}
