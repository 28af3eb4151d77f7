import Ledger

/// Servers: register, remove, list. Registration takes what the caller verified (the host key
/// fingerprint the operator confirmed, the key's public fingerprint); no secret passes here.
extension DeploymentService {
    @discardableResult
    public func registerServer(_ registration: ServerRegistered, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            try context.requireInScope(organisation: registration.organisationID, project: nil, what: "organisation")
            return Decided(
                try ServerDecisions.register(
                    registration, organisation: try await organisation(registration.organisationID), existing: try await server(registration.serverID),
                    keyring: try await keyring(registration.organisationID)),
                organisation: registration.organisationID, project: nil)
        }
    }

    @discardableResult
    public func removeServer(_ id: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let server = try await server(id)
            try context.requireInScope(organisation: server?.organisationID, project: nil, what: "server")
            return Decided(try ServerDecisions.remove(server), organisation: server?.organisationID, project: nil)
        }
    }

    /// Records that an operator broke an environment's deploy lock on its server (audited).
    @discardableResult
    public func recordLockBroken(server id: String, environment environmentID: String, deployPath: String, lock: String, reason: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let server = try await server(id)
            try context.requireInScope(organisation: server?.organisationID, project: nil, what: "server")
            return Decided(
                try ServerDecisions.breakLock(
                    on: server, environment: try await environment(environmentID), deployPath: deployPath, lock: lock, reason: reason),
                organisation: server?.organisationID, project: nil)
        }
    }

    /// Every registered server (removed ones included, marked), optionally of one organisation.
    public func servers(organisation: String? = nil) async throws -> [ServerState] {
        var ids: [String] = []
        var position: Int64 = 0
        while true {
            let page = try await store.readAll(after: position, filter: EventFilter(eventTypes: [ServerRegistered.eventType]), limit: 1_000)
            for event in page.events {
                if case .serverRegistered(let e) = try DomainEvent(event), organisation == nil || e.organisationID == organisation { ids.append(e.serverID) }
            }
            position = page.scannedThrough
            if page.events.count < 1_000 { break }
        }
        var servers: [ServerState] = []
        for id in ids { if let state = try await server(id) { servers.append(state) } }
        return servers
    }
}
