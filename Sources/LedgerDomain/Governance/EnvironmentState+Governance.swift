import Ledger

extension EnvironmentState {
    /// Folds an event of governed change: rules, freeze windows, schedules and what became of
    /// their occurrences.
    mutating func applyGovernance(_ event: DomainEvent) {
        switch event {
        case .environmentProtectionChanged(let e): protection = e.rules
        case .freezeWindowsChanged(let e): freezeWindows = e.windows
        case .deploymentScheduleSet(let e):
            schedules.removeAll { $0.scheduleID == e.schedule.scheduleID }
            schedules.append(e.schedule)
        case .deploymentScheduleRemoved(let e): schedules.removeAll { $0.scheduleID == e.scheduleID }
        case .scheduledOccurrenceRecorded(let e):
            guard let index = schedules.firstIndex(where: { $0.scheduleID == e.scheduleID }) else { return }
            if e.outcome == .waiting {
                schedules[index].waitingOccurrence = e.occurrenceMicroseconds
            } else {
                schedules[index].lastOccurrence = max(schedules[index].lastOccurrence ?? 0, e.occurrenceMicroseconds)
                schedules[index].waitingOccurrence = nil
            }
        default: break
        }
    }
}
