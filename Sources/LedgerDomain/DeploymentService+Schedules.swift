import Foundation
import Ledger

/// Scheduled deployments: setting and removing schedules, and requesting the occurrences that
/// are due — each through every rule of its environment, on behalf of whoever scheduled it.
extension DeploymentService {
    /// Adds (or replaces) a schedule on an environment; the context's person becomes the
    /// requester of every occurrence.
    @discardableResult
    public func schedule(
        _ id: String, environment environmentID: String, git: GitReference, at: Int64? = nil, cron: String? = nil, timeZone: String? = nil,
        inFreeze: DeploymentSchedule.FreezePolicy = .wait, enabled: Bool = true, context: CommandContext
    ) async throws -> Outcome {
        try await execute(context) {
            let environment = try await environment(environmentID)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            if environment?.protection?.deployPermission == true, !context.mayDeployProtected {
                throw CommandRejection(.forbidden, "scheduling deployments to \(environmentID) needs the permission \(Permission.deployProtected.rawValue)")
            }
            let schedule = DeploymentSchedule(
                scheduleID: id, git: git, atMicroseconds: at, cron: cron, timeZone: timeZone, inFreeze: inFreeze, enabled: enabled,
                requestedBy: context.actor, requester: context.person, createdAtMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
            return Decided(try ScheduleDecisions.set(schedule, on: environment), organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// Removes a schedule.
    @discardableResult
    public func unschedule(_ id: String, environment environmentID: String, context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            let environment = try await environment(environmentID)
            try context.requireInScope(organisation: environment?.organisationID, project: environment?.projectID, what: "environment")
            return Decided(try ScheduleDecisions.remove(id, from: environment), organisation: environment?.organisationID, project: environment?.projectID)
        }
    }

    /// Requests every occurrence due at `now` on `environmentID` and records what became of it:
    /// requested (idempotently: an occurrence names its deployment), waiting for a freeze to end,
    /// skipped, or refused by another rule. Returns the outcomes recorded.
    @discardableResult
    public func runDueSchedules(environment environmentID: String, now: Int64) async throws -> [ScheduledOccurrenceRecorded] {
        guard let environment = try await environment(environmentID) else { return [] }
        var recorded: [ScheduledOccurrenceRecorded] = []
        for schedule in environment.schedules {
            guard let occurrence = schedule.due(at: now) else { continue }
            var context = CommandContext(
                actor: schedule.requestedBy, source: "scheduler",
                idempotencyKey: "schedule:\(environmentID):\(schedule.scheduleID):\(occurrence)",
                scope: .init(organisation: environment.organisationID, project: environment.projectID))
            context.person = schedule.requester
            var outcome = ScheduledOccurrenceRecorded.Outcome.requested
            var deploymentID: String?
            var reason: String?
            do {
                deploymentID = try await deploy(environment: environmentID, git: schedule.git, trigger: .scheduled, now: now, context: context).deploymentID
            } catch let rejection as CommandRejection {
                reason = rejection.message
                outcome = rejection.code == .frozen ? (schedule.inFreeze == .wait ? .waiting : .skipped) : .refused
            }
            let record = CommandContext(actor: "scheduler", source: "scheduler", scope: context.scope)
            let written = try await execute(record) { [outcome, deploymentID, reason] in
                Decided(
                    try ScheduleDecisions.record(
                        outcome, of: occurrence, scheduleID: schedule.scheduleID, on: try await self.environment(environmentID), deploymentID: deploymentID,
                        reason: reason),
                    organisation: environment.organisationID, project: environment.projectID)
            }
            for case .scheduledOccurrenceRecorded(let event) in written.decision.writes.flatMap(\.events) { recorded.append(event) }
        }
        return recorded
    }
}
