import Foundation
import Ledger
import LedgerDomain
import Projections

/// One page of a deployment's log lines, as `GET /api/v1/deployments/{id}/logs` answers it
/// (snake_case, the shape of the seed platform's API) and as `ledger logs --server` reads it.
public struct LogsPage: Codable, Sendable, Equatable {
    /// One log line of the page.
    public struct Line: Codable, Sendable, Equatable {
        /// `POSITION.LINE`: the event that carried the line and the line's index in it.
        public var id: String
        public var position: Int64
        public var line: Int
        public var step: String?
        public var level: String
        public var message: String
        /// When the line was logged, ISO 8601 in UTC with microseconds.
        public var timestamp: String
        public var data: [String: String]?
    }

    public var deploymentID: String
    /// The deployment's status when the page was read: a follower stops once it is terminal.
    public var deploymentStatus: String
    public var skip: Int
    public var limit: Int
    public var logs: [Line]

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", deploymentStatus = "deployment_status", skip, limit, logs
    }

    public init(deployment: DeploymentState, skip: Int, limit: Int, entries: [LogEntry]) {
        deploymentID = deployment.deploymentID
        deploymentStatus = deployment.status.rawValue
        self.skip = skip
        self.limit = limit
        logs = entries.map { entry in
            Line(
                id: "\(entry.position).\(entry.line)", position: entry.position, line: entry.line, step: entry.step,
                level: entry.level.rawValue, message: entry.message, timestamp: Timestamps.format(entry.atMicroseconds), data: entry.data)
        }
    }

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
