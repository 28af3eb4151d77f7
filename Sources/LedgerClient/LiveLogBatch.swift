import Foundation

/// A `deployment.log` message of the live stream (`GET /api/v1/events`): a batch of one
/// deployment's log lines, in the seed's SSE shape. The gateway writes it, the CLI reads it.
public struct LiveLogBatch: Codable, Sendable, Equatable {
    /// One line: its level, text, step (null before the first step) and RFC 3339 time.
    public struct Line: Codable, Sendable, Equatable {
        public var deploymentID: String
        public var level: String
        public var message: String
        public var step: String?
        public var timestamp: String

        public init(deploymentID: String, level: String, message: String, step: String?, timestamp: String) {
            self.deploymentID = deploymentID
            self.level = level
            self.message = message
            self.step = step
            self.timestamp = timestamp
        }

        enum CodingKeys: String, CodingKey {
            case deploymentID = "deployment_id"
            case level, message, step, timestamp
        }

        /// `step` is written as null when there is none, as the seed's shape has it.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(deploymentID, forKey: .deploymentID)
            try container.encode(level, forKey: .level)
            try container.encode(message, forKey: .message)
            try container.encode(step, forKey: .step)
            try container.encode(timestamp, forKey: .timestamp)
        }
    }

    public var deploymentID: String
    public var lines: [Line]

    public init(deploymentID: String, lines: [Line]) {
        self.deploymentID = deploymentID
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id"
        case lines
    }

    /// The message's `data:` JSON, keys sorted as every live message's are.
    public func json() throws -> Data { try LiveJSON.encode(self) }
}
