import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// `audit`: who did what to which target, when, in which organisation and project, with the
/// request and correlation ids — one row per action (every domain event but log lines and step
/// progress), filterable by actor, action, target and time.
public struct AuditProjection: Projection {
    public init() {}
    public let name = "audit"
    public let version = 1
    public var eventTypes: Set<String> {
        DomainEvent.allEventTypes.subtracting([
            LogLinesAppended.eventType, StepStarted.eventType, StepCompleted.eventType, StepFailed.eventType, StepSkipped.eventType,
        ])
    }
    public let tables = ["entries"]

    public func definitions(schema: String) -> [String] {
        [
            """
            CREATE TABLE \(schema).entries (
                position bigint PRIMARY KEY, at_us bigint NOT NULL, actor text, action text NOT NULL, target text NOT NULL,
                organisation text, project text, request_id text, correlation_id uuid, summary text NOT NULL)
            """,
            "CREATE INDEX entries_actor ON \(schema).entries (actor, position)",
            "CREATE INDEX entries_action ON \(schema).entries (action, position)",
            "CREATE INDEX entries_target ON \(schema).entries (target, position)",
            "CREATE INDEX entries_at ON \(schema).entries (at_us)",
        ]
    }

    public func apply(_ batch: ProjectionBatch, schema: String, connection: PostgresConnection, logger: Logger) async throws {
        // Arrays of optionals do not bind, so absent values travel as '' and become NULL in SQL.
        var positions: [Int64] = [], times: [Int64] = [], actors: [String] = [], actions: [String] = [], targets: [String] = []
        var organisations: [String] = [], projects: [String] = [], requests: [String] = [], correlations: [String] = []
        var summaries: [String] = []
        for index in 0..<batch.count {
            try batch.withEvent(index) { event in
                let metadata: EventMetadata
                do { metadata = try event.metadata() } catch {
                    throw ProjectionEventError(position: event.position, eventType: event.type, reason: "cannot decode metadata")
                }
                positions.append(event.position)
                times.append(event.recordedAtMicroseconds)
                actors.append(metadata.actor ?? "")
                actions.append(event.type)
                targets.append(event.streamID.rawValue)
                organisations.append(metadata.organisation ?? "")
                projects.append(metadata.project ?? "")
                requests.append(metadata.requestID ?? "")
                correlations.append(metadata.correlationID?.uuidString.lowercased() ?? "")
            }
            summaries.append(try batch.withRecord(index) { AuditSummary.describe($0.event) })
        }
        guard !positions.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).entries
                (position, at_us, actor, action, target, organisation, project, request_id, correlation_id, summary)
            SELECT p, t, NULLIF(a, ''), x, g, NULLIF(o, ''), NULLIF(j, ''), NULLIF(r, ''), NULLIF(c, '')::uuid, s
            FROM unnest(\(positions)::bigint[], \(times)::bigint[], \(actors)::text[], \(actions)::text[], \(targets)::text[],
                \(organisations)::text[], \(projects)::text[], \(requests)::text[], \(correlations)::text[], \(summaries)::text[])
                AS u(p, t, a, x, g, o, j, r, c, s)
            """, logger: logger)
    }
}

/// One line saying what an event did, for audit listings.
public enum AuditSummary {
    public static func describe(_ event: DomainEvent) -> String {
        switch event {
        case .organisationCreated(let e): "created organisation \(e.organisationID) (\(e.name))"
        case .projectCreated(let e): "created project \(e.projectID) in \(e.organisationID)"
        case .environmentCreated(let e): "created environment \(e.environmentID) in project \(e.projectID)"
        case .environmentConfigured(let e):
            "configured \(e.environmentID): \(e.configuration.sshUser)@\(e.configuration.host):\(e.configuration.sshPort), "
                + "\(e.configuration.pipeline.count) steps, \(e.configuration.resources.cpuMillicores)m CPU, "
                + "\(e.configuration.resources.memoryMB) MB RAM, \(e.configuration.resources.diskGB) GB disk"
                + (e.changes.map { $0.isEmpty ? "" : "; changed " + $0.map(\.summary).joined(separator: "; ") } ?? "")
        case .environmentDeploymentBegan(let e): "deployment #\(e.number) (\(e.trigger.rawValue)) began on \(e.environmentID)"
        case .environmentDeploymentEnded(let e): "deployment #\(e.number) on \(e.environmentID) ended \(e.status.rawValue)"
        case .environmentDestroyed(let e): "destroyed \(e.environmentID)" + (e.deleteData ? " and deleted its data" : "")
        case .organisationAllocationChanged(let e):
            "allocated \(e.resources.cpuMillicores)m CPU, \(e.resources.memoryMB) MB RAM, \(e.resources.diskGB) GB disk to \(e.environmentID)"
        case .serverRegistered(let e):
            "registered server \(e.serverID) (\(e.user)@\(e.host):\(e.port), host key \(e.hostKeyFingerprint), key "
                + (e.keyID.map { "\($0) " } ?? "") + "\(e.keyFingerprint))"
        case .serverRemoved(let e): "removed server \(e.serverID)"
        case .sshKeyRegistered(let e): "added SSH key \(e.keyID) (\(e.fingerprint)) to the keyring of \(e.organisationID)"
        case .sshKeyRemoved(let e): "removed SSH key \(e.keyID) from the keyring of \(e.organisationID)"
        case .deployLockBroken(let e): "broke the deploy lock of \(e.environmentID) on \(e.serverID) (\(e.lock.replacingOccurrences(of: "\n", with: " "))): \(e.reason)"
        case .serverAllocationChanged(let e):
            "allocated \(e.resources.cpuMillicores)m CPU, \(e.resources.memoryMB) MB RAM, \(e.resources.diskGB) GB disk on \(e.serverID) to \(e.environmentID)"
        case .apiTokenCreated(let e):
            "issued token \(e.name) (\(e.hint)) as \(e.role.rawValue)" + (e.organisationID.map { " in \($0)" } ?? "") + (e.projectID.map { "/\($0)" } ?? "")
        case .apiTokenRevoked(let e): "revoked token \(e.tokenID)"
        case .projectWebhookSecretSet(let e): "set the webhook secret of project \(e.projectID)"
        case .projectRepositoryChanged(let e): "set the repository of project \(e.projectID) to \(e.repository)" + (e.previous.map { " (was \($0))" } ?? "")
        case .pipelinePublished(let e):
            "published pipeline \(e.name) (\(e.fingerprint.prefix(19))…, \(e.steps.count) steps) from \(e.executor)"
        case .deploymentRequested(let e): describeRequest(e)
        case .deploymentQueued: "queued"
        case .deploymentStarted(let e):
            "started by \(e.executor)" + (e.pipeline.map { " running pipeline \($0)" } ?? "")
                + (e.pipelineFingerprint.map { " (\($0.prefix(19))…)" } ?? "")
        case .revisionResolved(let e): "resolved \(e.ref) to commit \(e.commit)"
        case .deploymentTakenOver(let e):
            "taken over by \(e.executor)" + (e.previousExecutor.map { " from \($0)" } ?? "") + (e.interruptedStep.map { ", interrupted at \($0)" } ?? "")
        case .deploymentCancellationRequested(let e): "asked to cancel" + (e.reason.map { ": \($0)" } ?? "")
        case .deploymentSucceeded: "succeeded"
        case .deploymentFailed(let e): "failed" + (e.step.map { " at \($0)" } ?? "") + ": \(e.error)"
        case .deploymentCancelled(let e):
            "cancelled" + (e.stopped.map { " (\($0.signal) sent to process group \($0.processGroup.map(String.init) ?? "-") after \($0.elapsedMs) ms)" } ?? "")
                + (e.stopped?.escaped == true
                    ? "; still running outside its group: " + ((e.stopped?.escapedProcesses ?? []).isEmpty ? "not found" : (e.stopped?.escapedProcesses ?? []).joined(separator: "; "))
                    : "")
        case .deploymentTimedOut(let e): "timed out" + (e.step.map { " at \($0)" } ?? "")
        case .deploymentRolledBack(let e): "rolled back, replaced by \(e.replacedBy)"
        case .deploymentDestroyed: "destroy recorded"
        case .stepStarted(let e): "step \(e.step) started"
        case .stepCompleted(let e): "step \(e.step) completed"
        case .stepFailed(let e): "step \(e.step) failed"
        case .stepSkipped(let e): "step \(e.step) skipped"
        case .logLinesAppended(let e): "\(e.lines.count) log lines"
        case .environmentProtectionChanged, .environmentDeploymentAwaitingApproval, .deploymentAwaitingApproval, .deploymentApproved,
            .deploymentRejected, .deploymentApprovalsVoided, .deploymentApprovalGranted, .freezeWindowsChanged,
            .deploymentScheduleSet, .deploymentScheduleRemoved, .scheduledOccurrenceRecorded:
            describeGovernance(event)
        }
    }
}
