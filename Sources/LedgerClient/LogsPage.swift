import Foundation

/// One page of a deployment's log lines, as `GET /api/v1/deployments/{id}/logs` answers it
/// (snake_case, the shape of the seed platform's API) and as `ledger logs --server` reads it:
/// a wire type of the API, built by the gateway, decoded by clients.
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

        public init(
            id: String, position: Int64, line: Int, step: String?, level: String, message: String, timestamp: String, data: [String: String]?
        ) {
            self.id = id
            self.position = position
            self.line = line
            self.step = step
            self.level = level
            self.message = message
            self.timestamp = timestamp
            self.data = data
        }
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

    public init(deploymentID: String, deploymentStatus: String, skip: Int, limit: Int, logs: [Line]) {
        self.deploymentID = deploymentID
        self.deploymentStatus = deploymentStatus
        self.skip = skip
        self.limit = limit
        self.logs = logs
    }
}
