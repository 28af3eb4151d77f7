import Ledger
import Foundation
import PostgresNIO

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
    /// How many times a command is re-decided after losing a race (each time after a short,
    /// random and growing pause, so that writers contending for one stream — say, creating
    /// environments of one organisation, which all record their allocation there — spread out).
    public var maximumAttempts = 10

    public init(store: EventStore, source: String) {
        self.store = store
        self.source = source
    }

    /// What a command wrote.
    public struct Outcome: Sendable {
        public var decision: Decision
        /// Nil when the decision wrote nothing (the command had already happened).
        public var result: AppendResult?
        /// The deployment the command started, for deploy, retry, rollback and destroy.
        public var deploymentID: String?
        /// The position of the last event the command wrote (for read-your-writes).
        public var position: Int64? { result?.lastPosition ?? replayedPosition }
        var replayedPosition: Int64?
        /// True when an idempotency key showed the command had been carried out before: nothing
        /// new was written and `result` is the first outcome's.
        public var replayed = false

        public init(decision: Decision, result: AppendResult?, deploymentID: String? = nil, replayed: Bool = false) {
            self.decision = decision
            self.result = result
            self.deploymentID = deploymentID
            self.replayed = replayed
        }

        /// The whole of `stream` as recorded, when this command began it (a new deployment's
        /// stream) — known from what was written, without reading it back. Nil when the
        /// stream had events before, or this outcome wrote nothing.
        public func records(ofStreamBegun stream: StreamID) -> [DomainRecord]? {
            guard let result, !result.wasAlreadyAppended, let recordedAt = result.recordedAtMicroseconds,
                let written = result.streams.first(where: { $0.streamID == stream }), written.firstVersion == 1
            else { return nil }
            let events = decision.events(for: stream)
            guard !events.isEmpty, written.version == Int64(events.count) else { return nil }
            // A request's events of one stream take consecutive positions, ending at the stream's last.
            let firstPosition = written.lastPosition - Int64(events.count - 1)
            return events.enumerated().map { index, event in
                DomainRecord(
                    position: firstPosition + Int64(index), streamID: stream, streamVersion: Int64(index + 1), recordedAtMicroseconds: recordedAt,
                    event: event)
            }
        }
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

    /// Decides and appends with `context` in every event's metadata, deciding again after a
    /// version conflict. A target outside the context's scope is refused as not found. With an
    /// idempotency key, event ids derive from it: a command sent again after it was carried
    /// out answers the first outcome (`replayed`) and writes nothing. `alongside`, when given,
    /// writes in the same transaction as the events (see ``EventStore/append(_:alongside:)``).
    @discardableResult
    public func execute(
        _ context: CommandContext, alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil,
        _ decide: @Sendable () async throws -> Decided
    ) async throws -> Outcome {
        var attempt = 0
        while true {
            attempt += 1
            if !(context.firstSend && attempt == 1), let earlier = try await replay(context) { return earlier }
            let decided: Decided
            do {
                decided = try await decide()
            } catch let rejection as CommandRejection {
                // A resend racing its first send may be refused by what the first one did.
                if let earlier = try await replay(context) { return earlier }
                throw rejection
            }
            // Each command checks its target's scope before deciding (so a refusal never tells
            // an outsider about it); this holds whatever a decision wrote.
            try context.requireInScope(organisation: decided.organisation, project: decided.project)
            if decided.decision.writes.isEmpty { return Outcome(decision: decided.decision, result: nil) }
            let metadata = EventMetadata(
                actor: context.actor, organisation: decided.organisation, project: decided.project, correlationID: context.correlationID,
                causationID: context.causationID, requestID: context.requestID, source: context.source ?? source)
            var index = 0
            let request = AppendRequest(try decided.decision.writes.map { write in
                StreamAppend(
                    streamID: write.streamID, expectedVersion: write.expectedVersion,
                    events: try write.events.map { event in
                        defer { index += 1 }
                        return try event.newEvent(id: context.eventID(index) ?? UUID(), metadata: metadata)
                    })
            })
            do {
                let result = if let alongside { try await store.append(request, alongside: alongside) } else { try await store.append(request) }
                return Outcome(decision: decided.decision, result: result)
            } catch let conflict as AppendConflict {
                if attempt >= maximumAttempts {
                    throw CommandRejection(.conflict, "\(conflict.description); gave up after \(attempt) attempts, try again")
                }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...(500 * min(attempt, 8)))))
            } catch let reused as EventIDReused {
                if let earlier = try await replay(context) { return earlier }
                throw reused
            }
        }
    }

    /// The first outcome of a command whose idempotency key was used before, if it was.
    private func replay(_ context: CommandContext) async throws -> Outcome? {
        // A command writes a handful of events; their ids are the key's first few.
        let ids = (0..<32).compactMap(context.eventID)
        guard !ids.isEmpty, let position = try await store.lastPosition(ofEvents: ids) else { return nil }
        var outcome = Outcome(decision: .nothing, result: nil, replayed: true)
        outcome.replayedPosition = position
        return outcome
    }

    // MARK: Loading

    /// Every event of a stream, decoded, optionally only up to a position (for time travel).
    public func records(of stream: StreamID, throughPosition: Int64? = nil, afterVersion: Int64 = 0) async throws -> [DomainRecord] {
        var records: [DomainRecord] = []
        var next: Int64 = afterVersion + 1
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

    /// Every deployment and environment decision reads its organisation, whose stream records
    /// each allocation: it is folded once, then only what was appended since.
    public func organisation(_ id: String) async throws -> OrganisationState? {
        try DomainIDs.validate(id, kind: "organisation")
        let stream = DomainIDs.organisationStream(id)
        let kept = store.folds.value(OrganisationState.self, of: stream)
        let records = try await records(of: stream, afterVersion: kept?.version ?? 0)
        guard let state = OrganisationState.fold(records, onto: kept?.value) else { return nil }
        store.folds.keep(state, of: stream, through: state.version)
        return state
    }

    public func project(_ id: String) async throws -> ProjectState? {
        try DomainIDs.validate(id, kind: "project")
        return ProjectState.fold(try await records(of: DomainIDs.projectStream(id)))
    }

    public func server(_ id: String) async throws -> ServerState? {
        try DomainIDs.validate(id, kind: "server")
        return ServerState.fold(try await records(of: DomainIDs.serverStream(id)))
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
