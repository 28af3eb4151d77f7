import Foundation
import Ledger
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
                level: entry.level.rawValue, message: entry.message, timestamp: Timestamp.iso8601(entry.atMicroseconds), data: entry.data)
        }
    }

    /// The page's lines as the projection reader returns them (nil when a line is malformed).
    public var entries: [LogEntry]? {
        var entries: [LogEntry] = []
        for line in logs {
            guard let level = LogLevel(rawValue: line.level), let at = Timestamp.microseconds(line.timestamp) else { return nil }
            entries.append(LogEntry(
                position: line.position, line: line.line, step: line.step, level: level, message: line.message, data: line.data,
                atMicroseconds: at))
        }
        return entries
    }
}

/// ISO 8601 timestamps with exactly six fractional digits, to and from microseconds since 1970.
public enum Timestamp {
    /// Whole seconds in UTC (`2026-11-22T04:06:28Z`); a value type, so one serves every request.
    private static let seconds = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)

    public static func iso8601(_ microseconds: Int64) -> String {
        let split = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let (whole, fraction) = split.remainder < 0 ? (split.quotient - 1, split.remainder + 1_000_000) : split
        let text = Date(timeIntervalSince1970: TimeInterval(whole)).formatted(seconds)
        return text.dropLast() + "." + String(format: "%06lld", fraction) + "Z"
    }

    public static func microseconds(_ text: String) -> Int64? {
        guard text.hasSuffix("Z"), let dot = text.lastIndex(of: ".") else { return nil }
        let fraction = text[text.index(after: dot)..<text.index(before: text.endIndex)]
        guard fraction.count == 6, fraction.allSatisfy(\.isASCII), let micros = Int64(fraction),
            let date = try? seconds.parse(String(text[..<dot]) + "Z")
        else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + micros
    }
}
