import Ledger
import LedgerClient
import LedgerDomain
import Projections

extension LogsPage {
    /// A page of `deployment`'s log lines as the projection holds them.
    init(deployment: DeploymentState, skip: Int, limit: Int, entries: [LogEntry]) {
        self.init(
            deploymentID: deployment.deploymentID, deploymentStatus: deployment.status.rawValue, skip: skip, limit: limit,
            logs: entries.map { entry in
                Line(
                    id: "\(entry.position).\(entry.line)", position: entry.position, line: entry.line, step: entry.step,
                    level: entry.level.rawValue, message: entry.message, timestamp: Timestamps.format(entry.atMicroseconds), data: entry.data)
            })
    }
}

extension LogsPage {
    /// The page's lines as the projection reader returns them (nil when a line is malformed).
    public var entries: [LogEntry]? {
        var entries: [LogEntry] = []
        for line in logs {
            guard let level = LogLevel(rawValue: line.level), let at = Timestamps.parseExact(line.timestamp) else { return nil }
            entries.append(LogEntry(
                position: line.position, line: line.line, step: line.step, level: level, message: line.message, data: line.data,
                atMicroseconds: at))
        }
        return entries
    }
}
