import Foundation

/// A `deployment.status` message of the live stream (`GET /api/v1/events`): a deployment's
/// new status, with what that status brings (the planned steps, the executor, the error…).
/// Absent facts are left out. The gateway writes it; clients read it.
public struct LiveStatusChange: Codable, Sendable, Equatable {
    public var deploymentID: String
    public var status: String
    /// When it was recorded, RFC 3339 with microseconds.
    public var timestamp: String
    public var environmentID: String?
    public var trigger: String?
    public var number: Int?
    /// The steps planned (requested) or run (started), in order.
    public var steps: [String]?
    public var executor: String?
    public var reason: String?
    public var error: String?
    public var replacedBy: String?

    public init(deploymentID: String, status: String, timestamp: String) {
        self.deploymentID = deploymentID
        self.status = status
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", environmentID = "environment_id", replacedBy = "replaced_by"
        case status, timestamp, trigger, number, steps, executor, reason, error
    }

    /// The message's `data:` JSON, keys sorted as every live message's are.
    public func json() throws -> Data { try LiveJSON.encode(self) }
}

/// A `deployment.progress` message of the live stream: one step started, ended or was skipped.
public struct LiveStepChange: Codable, Sendable, Equatable {
    public var deploymentID: String
    public var step: String
    /// `running`, `completed`, `failed` or `skipped`.
    public var stepStatus: String
    public var timestamp: String
    public var durationMs: Int?
    public var error: String?

    public init(deploymentID: String, step: String, stepStatus: String, timestamp: String, durationMs: Int? = nil, error: String? = nil) {
        self.deploymentID = deploymentID
        self.step = step
        self.stepStatus = stepStatus
        self.timestamp = timestamp
        self.durationMs = durationMs
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", stepStatus = "step_status", durationMs = "duration_ms"
        case step, timestamp, error
    }

    public func json() throws -> Data { try LiveJSON.encode(self) }
}

/// How every live message's `data:` is written: sorted keys.
enum LiveJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
}

/// A `deployment.approval` message of the live stream: a deployment began to wait for approval
/// (`awaiting`), was approved, rejected, had its approvals voided, or was released (`granted`).
/// `status` is the deployment's status after it, so a dashboard needs no other message.
public struct LiveApprovalChange: Codable, Sendable, Equatable {
    public var deploymentID: String
    /// `awaiting`, `approved`, `rejected`, `voided` or `granted`.
    public var change: String
    public var status: String
    public var timestamp: String
    /// Who approved or rejected (`approved`, `rejected`).
    public var user: String?
    public var comment: String?
    /// How many approvals it needs, and who may not give them (`awaiting`).
    public var requiredApprovals: Int?
    public var excluded: [String]?
    /// Why approvals were voided (`voided`).
    public var reason: String?
    /// Whose approvals released it (`granted`).
    public var approvers: [String]?

    public init(deploymentID: String, change: String, status: String, timestamp: String) {
        self.deploymentID = deploymentID
        self.change = change
        self.status = status
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id", requiredApprovals = "required_approvals"
        case change, status, timestamp, user, comment, excluded, reason, approvers
    }

    /// The message's `data:` JSON, keys sorted as every live message's are.
    public func json() throws -> Data { try LiveJSON.encode(self) }
}
