import Foundation
import Ledger
import LedgerDomain
import LedgerClient

/// Committed deployment events as Server-Sent Events: `deployment.status`, `deployment.progress`,
/// `deployment.log` and `deployment.approval` (what waits for approval, and what becomes of it), each with the event's global log position as its SSE `id`, so a client
/// that reconnects with `Last-Event-ID` resumes exactly after the last event it got.
enum ServerSentEvents {
    /// How long a client waits before reconnecting, sent once at the start.
    static let retryMilliseconds = 3_000

    /// The SSE message for one recorded event, or nil for events a dashboard does not follow.
    static func message(for record: DomainRecord) -> String? {
        guard let name = name(of: record.event), let json = try? data(for: record) else { return nil }
        return "id: \(record.position)\nevent: \(name)\ndata: \(String(decoding: json, as: UTF8.self))\n\n"
    }

    /// A message's `data:`: one of the wire types clients decode (LedgerClient).
    static func data(for record: DomainRecord) throws -> Data? {
        if case .logLinesAppended(let e) = record.event { return try logBatch(e).json() }
        if let change = statusChange(for: record) { return try change.json() }
        if let change = approvalChange(for: record) { return try change.json() }
        return try stepChange(for: record)?.json()
    }

    /// The SSE event name an event is shown under, or nil for events a dashboard does not follow
    /// (cheap: whether to keep an event is decided before, and without, rendering it).
    static func name(of event: DomainEvent) -> String? {
        switch event {
        case .deploymentRequested, .deploymentQueued, .deploymentStarted, .deploymentCancellationRequested, .deploymentSucceeded,
            .deploymentFailed, .deploymentCancelled, .deploymentTimedOut, .deploymentRolledBack, .deploymentDestroyed, .deploymentTakenOver:
            "deployment.status"
        case .stepStarted, .stepCompleted, .stepFailed, .stepSkipped: "deployment.progress"
        case .logLinesAppended: "deployment.log"
        case .deploymentAwaitingApproval, .deploymentApproved, .deploymentRejected, .deploymentApprovalsVoided, .deploymentApprovalGranted:
            "deployment.approval"
        default: nil
        }
    }

    /// A `deployment.log` message's data.
    static func logBatch(_ e: LogLinesAppended) -> LiveLogBatch {
        LiveLogBatch(deploymentID: e.deploymentID, lines: e.lines.map { line in
            LiveLogBatch.Line(
                deploymentID: e.deploymentID, level: line.level.rawValue, message: line.message, step: line.step?.rawValue,
                timestamp: Timestamps.format(line.atMicroseconds))
        })
    }

    /// A comment line: keeps proxies from closing an idle stream.
    static let heartbeat = ": heartbeat\n\n"

    /// The `deployment.status` message of a lifecycle event (nil for any other).
    static func statusChange(for record: DomainRecord) -> LiveStatusChange? {
        let at = Timestamps.format(record.recordedAtMicroseconds)
        func change(_ id: String, _ status: String, _ fill: (inout LiveStatusChange) -> Void = { _ in }) -> LiveStatusChange {
            var change = LiveStatusChange(deploymentID: id, status: status, timestamp: at)
            fill(&change)
            return change
        }
        switch record.event {
        case .deploymentRequested(let e):
            // The planned steps from the first event on: a client draws the list once.
            return change(e.deploymentID, "pending") {
                $0.environmentID = e.environmentID
                $0.trigger = e.trigger.rawValue
                $0.number = e.number
                $0.steps = (e.pipeline?.steps ?? e.configuration.pipeline).map(\.rawValue)
            }
        case .deploymentQueued(let e): return change(e.deploymentID, "queued")
        case .deploymentStarted(let e):
            return change(e.deploymentID, "building") {
                $0.executor = e.executor
                $0.steps = (e.steps ?? []).map(\.rawValue)
            }
        case .deploymentCancellationRequested(let e): return change(e.deploymentID, "cancelling") { $0.reason = e.reason ?? "" }
        case .deploymentSucceeded(let e): return change(e.deploymentID, "success")
        case .deploymentFailed(let e): return change(e.deploymentID, "failed") { $0.error = e.error }
        case .deploymentCancelled(let e): return change(e.deploymentID, "cancelled")
        case .deploymentTimedOut(let e): return change(e.deploymentID, "timed_out")
        case .deploymentRolledBack(let e): return change(e.deploymentID, "rolled_back") { $0.replacedBy = e.replacedBy }
        case .deploymentDestroyed(let e): return change(e.deploymentID, "destroyed")
        case .deploymentTakenOver(let e): return change(e.deploymentID, "taken_over") { $0.executor = e.executor }
        default: return nil
        }
    }

    /// The `deployment.approval` message of an approval event (nil for any other).
    static func approvalChange(for record: DomainRecord) -> LiveApprovalChange? {
        let at = Timestamps.format(record.recordedAtMicroseconds)
        let waiting = DeploymentStatus.awaitingApproval.rawValue
        switch record.event {
        case .deploymentAwaitingApproval(let e):
            var change = LiveApprovalChange(deploymentID: e.deploymentID, change: "awaiting", status: waiting, timestamp: at)
            change.requiredApprovals = e.requiredApprovals
            change.excluded = e.excluded
            return change
        case .deploymentApproved(let e):
            var change = LiveApprovalChange(deploymentID: e.deploymentID, change: "approved", status: waiting, timestamp: at)
            change.user = e.approver
            change.comment = e.comment
            return change
        case .deploymentRejected(let e):
            var change = LiveApprovalChange(deploymentID: e.deploymentID, change: "rejected", status: DeploymentStatus.rejected.rawValue, timestamp: at)
            change.user = e.approver
            change.comment = e.comment
            return change
        case .deploymentApprovalsVoided(let e):
            var change = LiveApprovalChange(deploymentID: e.deploymentID, change: "voided", status: waiting, timestamp: at)
            change.reason = e.reason
            return change
        case .deploymentApprovalGranted(let e):
            var change = LiveApprovalChange(deploymentID: e.deploymentID, change: "granted", status: DeploymentStatus.pending.rawValue, timestamp: at)
            change.approvers = e.approvers
            return change
        default: return nil
        }
    }

    /// The `deployment.progress` message of a step event (nil for any other).
    static func stepChange(for record: DomainRecord) -> LiveStepChange? {
        let at = Timestamps.format(record.recordedAtMicroseconds)
        switch record.event {
        case .stepStarted(let e): return LiveStepChange(deploymentID: e.deploymentID, step: e.step.rawValue, stepStatus: "running", timestamp: at)
        case .stepCompleted(let e):
            return LiveStepChange(deploymentID: e.deploymentID, step: e.step.rawValue, stepStatus: "completed", timestamp: at, durationMs: e.durationMs)
        case .stepFailed(let e):
            return LiveStepChange(
                deploymentID: e.deploymentID, step: e.step.rawValue, stepStatus: "failed", timestamp: at, durationMs: e.durationMs, error: e.error)
        case .stepSkipped(let e): return LiveStepChange(deploymentID: e.deploymentID, step: e.step.rawValue, stepStatus: "skipped", timestamp: at)
        default: return nil
        }
    }

    /// Whether a deployment is over for good with this event (a stream scoped to it then ends).
    static func ends(_ record: DomainRecord) -> Bool {
        switch record.event {
        case .deploymentSucceeded, .deploymentFailed, .deploymentCancelled, .deploymentTimedOut, .deploymentDestroyed, .deploymentRejected: true
        default: false
        }
    }
}
