import Ledger

/// Scheduling deployments and recording what became of each occurrence, as pure decisions on
/// the environment's stream.
public enum ScheduleDecisions {
    /// At most this many schedules per environment.
    public static let maximumSchedules = 20

    /// Adds `schedule` (or replaces the one with its id).
    public static func set(_ schedule: DeploymentSchedule, on environment: EnvironmentState?) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        let problems = schedule.problems
        guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid schedule: " + problems.joined(separator: "; ")) }
        let others = environment.schedules.filter { $0.scheduleID != schedule.scheduleID }
        guard others.count < maximumSchedules else { throw CommandRejection(.invalid, "at most \(maximumSchedules) schedules per environment") }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .deploymentScheduleSet(DeploymentScheduleSet(environmentID: environment.environmentID, schedule: schedule))
            ])
        ])
    }

    /// Removes a schedule.
    public static func remove(_ scheduleID: String, from environment: EnvironmentState?) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        guard environment.schedules.contains(where: { $0.scheduleID == scheduleID }) else { throw CommandRejection(.notFound, "no such schedule") }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .deploymentScheduleRemoved(DeploymentScheduleRemoved(environmentID: environment.environmentID, scheduleID: scheduleID))
            ])
        ])
    }

    /// Records what became of `occurrence`; nothing when it was dealt with already (another
    /// scheduler got there first), or when it still waits and that was said.
    public static func record(
        _ outcome: ScheduledOccurrenceRecorded.Outcome, of occurrence: Int64, scheduleID: String, on environment: EnvironmentState?, deploymentID: String? = nil, reason: String? = nil
    ) throws -> Decision {
        guard let environment, let schedule = environment.schedules.first(where: { $0.scheduleID == scheduleID }) else {
            throw CommandRejection(.notFound, "no such schedule")
        }
        if let last = schedule.lastOccurrence, last >= occurrence { return .nothing }
        if outcome == .waiting, schedule.waitingOccurrence == occurrence { return .nothing }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .any, [
                .scheduledOccurrenceRecorded(ScheduledOccurrenceRecorded(
                    environmentID: environment.environmentID, scheduleID: scheduleID, occurrenceMicroseconds: occurrence, outcome: outcome,
                    deploymentID: deploymentID, reason: reason))
            ])
        ])
    }
}
