import Ledger
import Foundation

/// A pipeline step began.
public struct StepStarted: LedgerEvent, Equatable {
    public static let eventType = "StepStarted"
    public var deploymentID: String
    public var step: DeploymentStep
    public init(deploymentID: String, step: DeploymentStep) {
        self.deploymentID = deploymentID
        self.step = step
    }
}

/// A pipeline step finished successfully.
public struct StepCompleted: LedgerEvent, Equatable {
    public static let eventType = "StepCompleted"
    public var deploymentID: String
    public var step: DeploymentStep
    public var durationMs: Int
    /// One line for dashboards, e.g. "Image ready (8.3s)".
    public var summary: String?
    public init(deploymentID: String, step: DeploymentStep, durationMs: Int, summary: String? = nil) {
        self.deploymentID = deploymentID
        self.step = step
        self.durationMs = durationMs
        self.summary = summary
    }
}

/// A pipeline step failed.
public struct StepFailed: LedgerEvent, Equatable {
    public static let eventType = "StepFailed"
    public var deploymentID: String
    public var step: DeploymentStep
    public var durationMs: Int
    public var error: String
    public init(deploymentID: String, step: DeploymentStep, durationMs: Int, error: String) {
        self.deploymentID = deploymentID
        self.step = step
        self.durationMs = durationMs
        self.error = error
    }
}

/// A pipeline step was skipped (not needed this time).
public struct StepSkipped: LedgerEvent, Equatable {
    public static let eventType = "StepSkipped"
    public var deploymentID: String
    public var step: DeploymentStep
    public var reason: String
    public init(deploymentID: String, step: DeploymentStep, reason: String) {
        self.deploymentID = deploymentID
        self.step = step
        self.reason = reason
    }
}

/// One line of deployment output.
public struct LogLine: Codable, Sendable, Hashable {
    public var level: LogLevel
    public var step: DeploymentStep?
    public var message: String
    /// Structured detail (`{"vm_ip": "192.168.1.100"}`); never a secret.
    public var data: [String: String]?
    /// When the executor saw it, in microseconds since 1970.
    public var atMicroseconds: Int64

    public init(level: LogLevel, step: DeploymentStep?, message: String, data: [String: String]? = nil, atMicroseconds: Int64) {
        self.level = level
        self.step = step
        self.message = message
        self.data = data
        self.atMicroseconds = atMicroseconds
    }
}

/// Log lines of a deployment, batched: most of the log is made of these.
public struct LogLinesAppended: LedgerEvent, Equatable {
    public static let eventType = "LogLinesAppended"
    public var deploymentID: String
    public var lines: [LogLine]
    public init(deploymentID: String, lines: [LogLine]) {
        self.deploymentID = deploymentID
        self.lines = lines
    }
}
