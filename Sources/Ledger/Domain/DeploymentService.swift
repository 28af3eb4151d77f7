import Foundation

/// Runs deployment commands: loads the streams a decision needs, folds them, asks the pure
/// decision, and appends its events atomically at the versions it saw. When another writer
/// got there first (a version conflict) it reloads and decides again, so a losing concurrent
/// request ends with the decision's own reason (e.g. "already in flight").
///
/// The CLI, the simulator and later the HTTP API all go through it.
public struct DeploymentService: Sendable {
    public let store: EventStore
    /// Written into every event's metadata (`cli`, `simulator`, `api`, …).
    public let source: String
    /// How many times a command is re-decided after losing a race.
    public var maximumAttempts = 5

    public init(store: EventStore, source: String) {
        self.store = store
        self.source = source
    }

    /// What a command wrote.
    public struct Outcome: Sendable {
        public var decision: Decision
        /// Nil when the decision wrote nothing (the command had already happened).
        public var result: AppendResult?
    }

    /// A decision and the organisation and project its events belong to (for their metadata).
    public struct Decided: Sendable {
        public var decision: Decision
        public var organisation: String?
        public var project: String?
        public init(_ decision: Decision, organisation: String?, project: String?) {
            self.decision = decision
            self.organisation = organisation
            self.project = project
        }
    }

    /// Decides and appends, deciding again after a version conflict.
    @discardableResult
    public func execute(
        actor: String, requestID: String? = nil, _ decide: @Sendable () async throws -> Decided
    ) async throws -> Outcome {
        let correlation = UUID()
        var attempt = 0
        while true {
            attempt += 1
            let decided = try await decide()
            if decided.decision.writes.isEmpty { return Outcome(decision: decided.decision, result: nil) }
            let metadata = EventMetadata(
                actor: actor, organisation: decided.organisation, project: decided.project, correlationID: correlation,
                requestID: requestID, source: source)
            let request = AppendRequest(try decided.decision.writes.map { write in
                StreamAppend(
                    streamID: write.streamID, expectedVersion: write.expectedVersion,
                    events: try write.events.map { try $0.newEvent(metadata: metadata) })
            })
            do {
                return Outcome(decision: decided.decision, result: try await store.append(request))
            } catch let conflict as AppendConflict {
                if attempt >= maximumAttempts {
                    throw CommandRejection(.conflict, "\(conflict.description); gave up after \(attempt) attempts, try again")
                }
            }
        }
    }

    // MARK: Loading

    /// Every event of a stream, decoded, optionally only up to a position (for time travel).
    public func records(of stream: StreamID, throughPosition: Int64? = nil) async throws -> [DomainRecord] {
        var records: [DomainRecord] = []
        var next: Int64 = 1
        while true {
            let page = try await store.read(stream: stream, from: next, limit: 1_000)
            for event in page {
                if let throughPosition, event.position > throughPosition { return records }
                records.append(try DomainRecord(event))
            }
            guard page.count == 1_000, let last = page.last else { return records }
            next = last.streamVersion + 1
        }
    }

    public func organisation(_ id: String) async throws -> OrganisationState? {
        try DomainIDs.validate(id, kind: "organisation")
        return OrganisationState.fold(try await records(of: DomainIDs.organisationStream(id)))
    }

    public func project(_ id: String) async throws -> ProjectState? {
        try DomainIDs.validate(id, kind: "project")
        return ProjectState.fold(try await records(of: DomainIDs.projectStream(id)))
    }

    public func environment(_ id: String) async throws -> EnvironmentState? {
        try DomainIDs.validate(id, kind: "environment")
        return EnvironmentState.fold(try await records(of: DomainIDs.environmentStream(id)))
    }

    public func deployment(_ id: String) async throws -> DeploymentState? {
        try DomainIDs.validate(id, kind: "deployment")
        return DeploymentState.fold(try await records(of: DomainIDs.deploymentStream(id)))
    }

    /// A deployment's state and progress from one read of its stream.
    public func deploymentWithProgress(_ id: String) async throws -> (DeploymentState, DeploymentProgress)? {
        try DomainIDs.validate(id, kind: "deployment")
        let records = try await records(of: DomainIDs.deploymentStream(id))
        guard let state = DeploymentState.fold(records), let progress = DeploymentProgress.fold(records) else { return nil }
        return (state, progress)
    }
}
