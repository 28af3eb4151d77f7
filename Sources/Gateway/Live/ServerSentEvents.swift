import Foundation
import Ledger
import LedgerClient

/// Committed deployment events as Server-Sent Events: `deployment.status`, `deployment.progress`
/// and `deployment.log`, each with the event's global log position as its SSE `id`, so a client
/// that reconnects with `Last-Event-ID` resumes exactly after the last event it got.
enum ServerSentEvents {
    /// How long a client waits before reconnecting, sent once at the start.
    static let retryMilliseconds = 3_000

    /// The SSE message for one recorded event, or nil for events a dashboard does not follow.
    static func message(for record: DomainRecord) -> String? {
        guard let name = name(of: record.event) else { return nil }
        let json: Data
        if case .logLinesAppended(let e) = record.event {
            // The one wire type the CLI decodes too (LedgerClient).
            guard let data = try? logBatch(e).json() else { return nil }
            json = data
        } else {
            guard let data = payload(for: record), let encoded = try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]) else {
                return nil
            }
            json = encoded
        }
        return "id: \(record.position)\nevent: \(name)\ndata: \(String(decoding: json, as: UTF8.self))\n\n"
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

    /// The `data:` object of an event `name(of:)` shows.
    static func payload(for record: DomainRecord) -> [String: Any]? {
        let at = Timestamps.format(record.recordedAtMicroseconds)
        func status(_ id: String, _ status: String, _ extra: [String: Any] = [:]) -> [String: Any] {
            ["deployment_id": id, "status": status, "timestamp": at].merging(extra) { $1 }
        }
        func step(_ id: String, _ step: DeploymentStep, _ status: String, _ extra: [String: Any] = [:]) -> [String: Any] {
            ["deployment_id": id, "step": step.rawValue, "step_status": status, "timestamp": at].merging(extra) { $1 }
        }
        switch record.event {
        case .deploymentRequested(let e):
            // The planned steps from the first event on: a client draws the list once.
            let steps = (e.pipeline?.steps ?? e.configuration.pipeline).map(\.rawValue)
            return status(e.deploymentID, "pending", [
                "environment_id": e.environmentID, "trigger": e.trigger.rawValue, "number": e.number, "steps": steps,
            ])
        case .deploymentQueued(let e): return status(e.deploymentID, "queued")
        case .deploymentStarted(let e):
            return status(e.deploymentID, "building", ["executor": e.executor, "steps": (e.steps ?? []).map(\.rawValue)])
        case .deploymentCancellationRequested(let e): return status(e.deploymentID, "cancelling", ["reason": e.reason ?? ""])
        case .deploymentSucceeded(let e): return status(e.deploymentID, "success")
        case .deploymentFailed(let e): return status(e.deploymentID, "failed", ["error": e.error])
        case .deploymentCancelled(let e): return status(e.deploymentID, "cancelled")
        case .deploymentTimedOut(let e): return status(e.deploymentID, "timed_out")
        case .deploymentRolledBack(let e): return status(e.deploymentID, "rolled_back", ["replaced_by": e.replacedBy])
        case .deploymentDestroyed(let e): return status(e.deploymentID, "destroyed")
        case .deploymentTakenOver(let e): return status(e.deploymentID, "taken_over", ["executor": e.executor])
        case .stepStarted(let e): return step(e.deploymentID, e.step, "running")
        case .stepCompleted(let e): return step(e.deploymentID, e.step, "completed", ["duration_ms": e.durationMs])
        case .stepFailed(let e): return step(e.deploymentID, e.step, "failed", ["duration_ms": e.durationMs, "error": e.error])
        case .stepSkipped(let e): return step(e.deploymentID, e.step, "skipped")
        case .logLinesAppended(let e):
            return try? JSONSerialization.jsonObject(with: logBatch(e).json()) as? [String: Any]
        default: return nil
        }
    }

    /// Whether a deployment is over for good with this event (a stream scoped to it then ends).
    static func ends(_ record: DomainRecord) -> Bool {
        switch record.event {
        case .deploymentSucceeded, .deploymentFailed, .deploymentCancelled, .deploymentTimedOut, .deploymentDestroyed: true
        default: false
        }
    }
}
