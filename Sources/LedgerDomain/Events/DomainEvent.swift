import Ledger
import Foundation

/// Every event of the deployment domain, as one closed type: folds and decisions switch over it,
/// so business code never compares type-name strings.
///
/// The larger payloads (a request carries its whole configuration) are `indirect`: kept inline,
/// each would make every event as large as the largest (a record was 528 bytes), and folds and
/// rebuilds copy records by the million; boxed, the frequent small events stay small.
public enum DomainEvent: Sendable, Equatable {
    case organisationCreated(OrganisationCreated)
    indirect case projectCreated(ProjectCreated)
    indirect case environmentCreated(EnvironmentCreated)
    indirect case environmentConfigured(EnvironmentConfigured)
    case environmentDeploymentBegan(EnvironmentDeploymentBegan)
    indirect case environmentDeploymentEnded(EnvironmentDeploymentEnded)
    case environmentDestroyed(EnvironmentDestroyed)
    case organisationAllocationChanged(OrganisationAllocationChanged)
    indirect case serverRegistered(ServerRegistered)
    case serverRemoved(ServerRemoved)
    case serverAllocationChanged(ServerAllocationChanged)
    indirect case deployLockBroken(DeployLockBroken)
    case sshKeyRegistered(SSHKeyRegistered)
    case sshKeyRemoved(SSHKeyRemoved)
    indirect case apiTokenCreated(ApiTokenCreated)
    case apiTokenRevoked(ApiTokenRevoked)
    case projectWebhookSecretSet(ProjectWebhookSecretSet)
    case projectRepositoryChanged(ProjectRepositoryChanged)
    indirect case pipelinePublished(PipelinePublished)
    indirect case deploymentRequested(DeploymentRequested)
    case deploymentQueued(DeploymentQueued)
    indirect case deploymentStarted(DeploymentStarted)
    indirect case deploymentTakenOver(DeploymentTakenOver)
    case revisionResolved(RevisionResolved)
    case stepStarted(StepStarted)
    case stepCompleted(StepCompleted)
    case stepFailed(StepFailed)
    case stepSkipped(StepSkipped)
    case logLinesAppended(LogLinesAppended)
    case deploymentCancellationRequested(DeploymentCancellationRequested)
    case deploymentSucceeded(DeploymentSucceeded)
    case deploymentFailed(DeploymentFailed)
    indirect case deploymentCancelled(DeploymentCancelled)
    case deploymentTimedOut(DeploymentTimedOut)
    case deploymentRolledBack(DeploymentRolledBack)
    case deploymentDestroyed(DeploymentDestroyed)
    indirect case environmentProtectionChanged(EnvironmentProtectionChanged)
    case environmentDeploymentAwaitingApproval(EnvironmentDeploymentAwaitingApproval)
    indirect case deploymentAwaitingApproval(DeploymentAwaitingApproval)
    indirect case deploymentApproved(DeploymentApproved)
    case deploymentRejected(DeploymentRejected)
    indirect case deploymentApprovalsVoided(DeploymentApprovalsVoided)
    indirect case deploymentApprovalGranted(DeploymentApprovalGranted)
    case freezeWindowsChanged(FreezeWindowsChanged)
    indirect case deploymentScheduleSet(DeploymentScheduleSet)
    case deploymentScheduleRemoved(DeploymentScheduleRemoved)
    indirect case scheduledOccurrenceRecorded(ScheduledOccurrenceRecorded)

    /// The payload inside, as the protocol every payload conforms to.
    public var payload: any LedgerEvent {
        switch self {
        case .organisationCreated(let e): e
        case .projectCreated(let e): e
        case .environmentCreated(let e): e
        case .environmentConfigured(let e): e
        case .environmentDeploymentBegan(let e): e
        case .environmentDeploymentEnded(let e): e
        case .environmentDestroyed(let e): e
        case .organisationAllocationChanged(let e): e
        case .serverRegistered(let e): e
        case .serverRemoved(let e): e
        case .serverAllocationChanged(let e): e
        case .deployLockBroken(let e): e
        case .sshKeyRegistered(let e): e
        case .sshKeyRemoved(let e): e
        case .apiTokenCreated(let e): e
        case .apiTokenRevoked(let e): e
        case .projectWebhookSecretSet(let e): e
        case .projectRepositoryChanged(let e): e
        case .pipelinePublished(let e): e
        case .deploymentRequested(let e): e
        case .deploymentQueued(let e): e
        case .deploymentStarted(let e): e
        case .deploymentTakenOver(let e): e
        case .revisionResolved(let e): e
        case .stepStarted(let e): e
        case .stepCompleted(let e): e
        case .stepFailed(let e): e
        case .stepSkipped(let e): e
        case .logLinesAppended(let e): e
        case .deploymentCancellationRequested(let e): e
        case .deploymentSucceeded(let e): e
        case .deploymentFailed(let e): e
        case .deploymentCancelled(let e): e
        case .deploymentTimedOut(let e): e
        case .deploymentRolledBack(let e): e
        case .deploymentDestroyed(let e): e
        case .environmentProtectionChanged(let e): e
        case .environmentDeploymentAwaitingApproval(let e): e
        case .deploymentAwaitingApproval(let e): e
        case .deploymentApproved(let e): e
        case .deploymentRejected(let e): e
        case .deploymentApprovalsVoided(let e): e
        case .deploymentApprovalGranted(let e): e
        case .freezeWindowsChanged(let e): e
        case .deploymentScheduleSet(let e): e
        case .deploymentScheduleRemoved(let e): e
        case .scheduledOccurrenceRecorded(let e): e
        }
    }

    /// The stable type name stored with the event.
    public var eventType: String { type(of: payload).eventType }

    /// Encodes it for appending.
    public func newEvent(id: UUID = UUID(), metadata: EventMetadata) throws -> NewEvent {
        if case .logLinesAppended(let e) = self {
            return try NewEvent(id: id, type: LogLinesAppended.eventType, schemaVersion: LogLinesAppended.schemaVersion, data: e.fastEncode(), metadata: metadata)
        }
        return try NewEvent(payload, id: id, metadata: metadata)
    }

    /// Decodes a stored event, upcasting older schema versions. Unknown types and versions
    /// newer than this code are errors: better to stop than to misread history.
    public init(type: String, schemaVersion: Int, data: Data) throws {
        self = try Self.decode(type: type, schemaVersion: schemaVersion, data: data).event
    }

    /// Decodes like ``init(type:schemaVersion:data:)`` and says whether a fast decoder read it,
    /// that is whether its JSON is in the plain shape this code writes (the logs read model
    /// lets SQL expand such JSON as it is).
    public static func decode(type: String, schemaVersion: Int, data: Data) throws -> (event: DomainEvent, plainJSON: Bool) {
        guard let decoder = decoders[type] else {
            throw LedgerError(.invalidEvent, "unknown event type \(type)")
        }
        return try decoder(schemaVersion, data)
    }

    /// Decodes a recorded event.
    public init(_ recorded: RecordedEvent) throws {
        try self.init(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data)
    }

    /// The event types of the domain.
    public static var allEventTypes: Set<String> { Set(decoders.keys) }

    /// The decoder of a type that has only its current schema version; `fast` (if any) reads
    /// the plain shape without `JSONDecoder` and returns nil for anything it leaves to it.
    private static func current<E: LedgerEvent>(
        _: E.Type, fast: (@Sendable (Data) -> E?)? = nil, _ wrap: @escaping @Sendable (E) -> DomainEvent
    ) -> (String, Decoder) {
        (E.eventType, { version, data in
            guard version == E.schemaVersion else {
                throw LedgerError(.invalidEvent, "\(E.eventType) schema version \(version) is not known to this build")
            }
            if let fast, let event = fast(data) { return (wrap(event), true) }
            return (wrap(try LedgerJSON.decode(E.self, from: data)), false)
        })
    }

    /// Decodes one schema version's JSON, saying whether a fast decoder read it.
    private typealias Decoder = @Sendable (Int, Data) throws -> (event: DomainEvent, plainJSON: Bool)

    private static let decoders: [String: Decoder] = Dictionary(uniqueKeysWithValues: [
        current(OrganisationCreated.self) { .organisationCreated($0) },
        current(ProjectCreated.self) { .projectCreated($0) },
        current(EnvironmentCreated.self) { .environmentCreated($0) },
        current(EnvironmentConfigured.self) { .environmentConfigured($0) },
        current(EnvironmentDeploymentBegan.self, fast: EnvironmentDeploymentBegan.fastDecode) { .environmentDeploymentBegan($0) },
        current(EnvironmentDeploymentEnded.self, fast: EnvironmentDeploymentEnded.fastDecode) { .environmentDeploymentEnded($0) },
        current(EnvironmentDestroyed.self) { .environmentDestroyed($0) },
        current(OrganisationAllocationChanged.self) { .organisationAllocationChanged($0) },
        current(ServerRegistered.self) { .serverRegistered($0) },
        current(ServerRemoved.self) { .serverRemoved($0) },
        current(ServerAllocationChanged.self) { .serverAllocationChanged($0) },
        current(DeployLockBroken.self) { .deployLockBroken($0) },
        current(SSHKeyRegistered.self) { .sshKeyRegistered($0) },
        current(SSHKeyRemoved.self) { .sshKeyRemoved($0) },
        current(ApiTokenCreated.self) { .apiTokenCreated($0) },
        current(ApiTokenRevoked.self) { .apiTokenRevoked($0) },
        current(ProjectWebhookSecretSet.self) { .projectWebhookSecretSet($0) },
        current(ProjectRepositoryChanged.self) { .projectRepositoryChanged($0) },
        current(PipelinePublished.self) { .pipelinePublished($0) },
        (DeploymentRequested.eventType, { @Sendable version, data in
            switch version {
            case 1: (.deploymentRequested(try DeploymentRequested.upcast(fromVersion1: data)), false)
            case DeploymentRequested.schemaVersion:
                if let event = DeploymentRequested.fastDecode(data) { (.deploymentRequested(event), true) } else {
                    (.deploymentRequested(try LedgerJSON.decode(DeploymentRequested.self, from: data)), false)
                }
            default: throw LedgerError(.invalidEvent, "DeploymentRequested schema version \(version) is not known to this build")
            }
        }),
        current(DeploymentQueued.self, fast: DeploymentQueued.fastDecode) { .deploymentQueued($0) },
        current(DeploymentStarted.self, fast: DeploymentStarted.fastDecode) { .deploymentStarted($0) },
        current(DeploymentTakenOver.self) { .deploymentTakenOver($0) },
        current(RevisionResolved.self) { .revisionResolved($0) },
        current(StepStarted.self, fast: StepStarted.fastDecode) { .stepStarted($0) },
        current(StepCompleted.self, fast: StepCompleted.fastDecode) { .stepCompleted($0) },
        current(StepFailed.self) { .stepFailed($0) },
        current(StepSkipped.self) { .stepSkipped($0) },
        current(LogLinesAppended.self, fast: LogLinesAppended.fastDecode) { .logLinesAppended($0) },
        current(DeploymentCancellationRequested.self) { .deploymentCancellationRequested($0) },
        current(DeploymentSucceeded.self, fast: DeploymentSucceeded.fastDecode) { .deploymentSucceeded($0) },
        current(DeploymentFailed.self) { .deploymentFailed($0) },
        current(DeploymentCancelled.self) { .deploymentCancelled($0) },
        current(DeploymentTimedOut.self) { .deploymentTimedOut($0) },
        current(DeploymentRolledBack.self) { .deploymentRolledBack($0) },
        current(DeploymentDestroyed.self) { .deploymentDestroyed($0) },
        current(EnvironmentProtectionChanged.self) { .environmentProtectionChanged($0) },
        current(EnvironmentDeploymentAwaitingApproval.self) { .environmentDeploymentAwaitingApproval($0) },
        current(DeploymentAwaitingApproval.self) { .deploymentAwaitingApproval($0) },
        current(DeploymentApproved.self) { .deploymentApproved($0) },
        current(DeploymentRejected.self) { .deploymentRejected($0) },
        current(DeploymentApprovalsVoided.self) { .deploymentApprovalsVoided($0) },
        current(DeploymentApprovalGranted.self) { .deploymentApprovalGranted($0) },
        current(FreezeWindowsChanged.self) { .freezeWindowsChanged($0) },
        current(DeploymentScheduleSet.self) { .deploymentScheduleSet($0) },
        current(DeploymentScheduleRemoved.self) { .deploymentScheduleRemoved($0) },
        current(ScheduledOccurrenceRecorded.self) { .scheduledOccurrenceRecorded($0) },
    ])
}

/// A decoded domain event with the envelope folds need: where and when it was recorded.
public struct DomainRecord: Sendable, Equatable {
    public var position: Int64
    public var streamID: StreamID
    public var streamVersion: Int64
    public var recordedAtMicroseconds: Int64
    public var event: DomainEvent

    public init(position: Int64, streamID: StreamID, streamVersion: Int64, recordedAtMicroseconds: Int64, event: DomainEvent) {
        self.position = position
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.event = event
    }

    /// Decodes a recorded event (and upcasts it).
    public init(_ recorded: RecordedEvent) throws {
        self.init(
            position: recorded.position, streamID: recorded.streamID, streamVersion: recorded.streamVersion,
            recordedAtMicroseconds: recorded.recordedAtMicroseconds, event: try DomainEvent(recorded))
    }
}
