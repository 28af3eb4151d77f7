import Ledger
import LedgerDomain

/// The document's schemas: their building blocks (identifiers, text, timestamps, closed
/// objects) and every named request and answer.
extension OpenAPIDocument {
    /// Which scope each role's token names: a portal admin's none, a project role's an
    /// organisation and one of its projects, any other role's an organisation only.
    static var tokenScopeRules: [[String: Any]] {
        [
            [
                "if": ["properties": ["role": ["const": Role.portalAdmin.rawValue]]],
                "then": ["not": ["anyOf": [["required": ["organization_id"]], ["required": ["project_id"]]]]],
                "else": ["required": ["organization_id"]],
            ],
            [
                "if": ["properties": ["role": ["enum": Role.allCases.filter(\.isProjectRole).map(\.rawValue)]]],
                "then": ["required": ["project_id"]], "else": ["not": ["required": ["project_id"]]],
            ],
        ]
    }

    /// The paging headers of a deployment list.
    static var listHeaders: [String: Any] {
        [
            "X-Next-Cursor": ["description": "the cursor of the next page, when this page is full", "schema": string],
            "X-Total-Count": [
                "description": "how many deployments the filters match in all, when at most \(DeploymentListQuery.countedTotal)",
                "schema": ["type": "integer", "minimum": 0],
            ],
        ]
    }

    static func object(_ properties: [String: [String: Any]], required: [String] = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required]
    }

    /// An object with exactly these properties (an answer with another is not as documented).
    static func closed(_ properties: [String: [String: Any]], required: [String] = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required, "additionalProperties": false]
    }

    static var deploymentStatus: [String: Any] { ["type": "string", "enum": DeploymentStatus.allCases.map(\.rawValue)] }
    static var timestamp: [String: Any] { ["type": "string", "format": "date-time"] }
    static var nullableTimestamp: [String: Any] { ["type": ["string", "null"], "format": "date-time"] }
    static var percent: [String: Any] { ["type": "integer", "minimum": 0, "maximum": 100] }
    static var position: [String: Any] { ["type": "integer", "minimum": 0] }
    static var string: [String: Any] { ["type": "string"] }
    static var nullableString: [String: Any] { ["type": ["string", "null"]] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var nullableInteger: [String: Any] { ["type": ["integer", "null"]] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }

    static var resources: [String: Any] { object(["cpu_millicores": integer, "memory_mb": integer, "disk_gb": integer]) }
    /// Resources as answers carry them: all three, nothing else.
    static var resourcesAnswer: [String: Any] {
        closed(["cpu_millicores": count, "memory_mb": count, "disk_gb": count], required: ["cpu_millicores", "memory_mb", "disk_gb"])
    }
    static var count: [String: Any] { ["type": "integer", "minimum": 0] }
    /// An organisation, project, environment, server or deployment id.
    static var identifier: [String: Any] { ["type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,62}$"] }
    /// A commit, or its leading hex digits (at least 7).
    static var gitCommit: [String: Any] { ["type": "string", "pattern": "^[0-9a-fA-F]{7,64}$"] }
    /// A branch or tag: what `git check-ref-format` allows that can be said in a pattern (no
    /// leading `-`, so never an option; no spaces, control characters or `~^:?*[\\`); the
    /// domain refuses the rest (`..`, `@{`, `//`, a trailing `.` or `/`, `.lock`).
    static var gitName: [String: Any] {
        ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^-\\x00-\\x20\\x7F~^:?*\\[\\\\][^\\x00-\\x20\\x7F~^:?*\\[\\\\]*$"]
    }
    /// Why, in a request: 1–2,000 characters, no NUL.
    static var reason: [String: Any] { ["type": "string", "minLength": 1, "maxLength": 2_000, "pattern": "^[^\\x00]*$"] }
    /// Free text in a request: anything but NUL, which no stored text may hold.
    static var text: [String: Any] { ["type": "string", "maxLength": 2_000, "pattern": "^[^\\x00]*$"] }
    /// A host name or address, a user name: no spaces, no NUL.
    static func word(_ maximum: Int) -> [String: Any] { ["type": "string", "minLength": 1, "maxLength": maximum, "pattern": "^[^\\s\\x00]+$"] }
    static var port: [String: Any] { ["type": "integer", "minimum": 1, "maximum": 65_535] }
    /// Resources a request gives: each positive and at most ``Resources/maximum``.
    static var resourcesRequest: [String: Any] { closed(resourceFields) }
    /// The three resource fields with their bounds.
    static var resourceFields: [String: [String: Any]] {
        let maximum = Resources.maximum
        return [
            "cpu_millicores": ["type": "integer", "minimum": 1, "maximum": maximum.cpuMillicores],
            "memory_mb": ["type": "integer", "minimum": 1, "maximum": maximum.memoryMB],
            "disk_gb": ["type": "integer", "minimum": 1, "maximum": maximum.diskGB],
        ]
    }
    static var stepID: [String: Any] { ["type": "string", "pattern": "^[a-z0-9_]{1,64}$"] }

    static var schemas: [String: Any] {
        deploymentSchemas.merging(environmentSchemas) { first, _ in first }.merging(requestSchemas) { first, _ in first }
            .merging(accessSchemas) { first, _ in first }.merging(governanceSchemas) { first, _ in first }
    }

    /// A person's name or address, as a token's user or a reviewer.
    static var person: [String: Any] {
        ["type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\x00-\\x20\\x7F-\\x9F]([^\\x00-\\x1F\\x7F-\\x9F]*[^\\x00-\\x20\\x7F-\\x9F])?$"]
    }

    /// The deployment answers: a deployment, its progress, steps, logs, history.
    static var deploymentSchemas: [String: Any] {
        [
            "Error": object(
                ["error": object(["code": string, "message": string, "request_id": nullableString], required: ["code", "message"])], required: ["error"]),
            // Every field the hottest answers carry, typed, and nothing else: schemathesis
            // checks each answer against these.
            "Deployment": closed(
                [
                    "id": string, "organization_id": string, "project_id": string, "environment_id": string, "version": integer,
                    "status": deploymentStatus, "trigger": ["type": "string", "enum": DeploymentTrigger.allCases.map(\.rawValue)],
                    "triggered_by": nullableString, "git_branch": nullableString, "git_commit": nullableString, "git_tag": nullableString,
                    "git_message": nullableString,
                    "extra_data": closed(["retry_of": nullableString, "rollback_to": nullableString]), "rollback_from_id": nullableString,
                    "resolved_ref": nullableString, "pipeline": ["oneOf": [ref("PlannedPipeline"), ["type": "null"]]],
                    "force": boolean, "created_at": timestamp, "started_at": nullableTimestamp, "completed_at": nullableTimestamp,
                    "duration_seconds": ["type": ["number", "null"], "minimum": 0], "error": nullableString,
                    "progress_percent": percent, "current_step": nullableString, "steps": array(ref("Step")), "position": position,
                    "requester": nullableString, "approval": ["oneOf": [ref("Approval"), ["type": "null"]]],
                    "promotion": ["oneOf": [
                        closed(
                            ["environment_id": string, "deployment_id": string, "commit": string, "deployed_at": timestamp],
                            required: ["environment_id", "deployment_id", "commit", "deployed_at"]),
                        ["type": "null"],
                    ]],
                    "break_glass": ["oneOf": [closed(["reason": string, "windows": array(string)], required: ["reason", "windows"]), ["type": "null"]]],
                ],
                required: [
                    "id", "organization_id", "project_id", "environment_id", "version", "status", "trigger", "triggered_by", "extra_data",
                    "rollback_from_id", "force", "created_at", "position",
                ]),
            "DeploymentList": array(ref("Deployment")),
            "PlannedPipeline": closed(
                ["name": string, "fingerprint": ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"], "steps": array(string)],
                required: ["name", "fingerprint", "steps"]),
            "Step": closed(
                [
                    "id": string, "name": string, "status": ["type": "string", "enum": ["pending", "running", "completed", "failed", "skipped"]],
                    "duration_ms": ["type": ["integer", "null"], "minimum": 0], "latest_message": nullableString,
                ], required: ["id", "name", "status"]),
            "Progress": closed(
                [
                    "deployment_id": string, "status": deploymentStatus, "step_number": ["type": "integer", "minimum": 0],
                    "total_steps": ["type": "integer", "minimum": 0], "progress_percent": percent, "current_step": nullableString,
                    "steps": array(ref("Step")), "started_at": nullableTimestamp, "position": position,
                ],
                required: ["deployment_id", "status", "step_number", "total_steps", "progress_percent", "current_step", "steps", "started_at", "position"]),
            "LogsPage": closed(
                [
                    "deployment_id": string, "deployment_status": deploymentStatus, "skip": count, "limit": count, "logs": array(ref("LogLine")),
                ], required: ["deployment_id", "deployment_status", "skip", "limit", "logs"]),
            "LogLine": closed(
                [
                    "id": string, "position": position, "line": count, "step": nullableString,
                    "level": ["type": "string", "enum": LogLevel.allCases.map(\.rawValue)], "message": string, "timestamp": timestamp,
                    "data": ["type": ["object", "null"], "additionalProperties": string],
                ], required: ["id", "position", "line", "level", "message", "timestamp"]),
            "History": object(["as_of_position": integer, "as_of": string, "state": ["type": "object"]], required: ["as_of_position", "state"]),
        ]
    }

    /// Environments, releases, quota, audit, organisations and projects as answered.
    static var environmentSchemas: [String: Any] {
        [
            "Environment": closed(
                [
                    "id": string, "organization_id": string, "project_id": string, "name": string,
                    "type": nullableString,
                    "status": ["type": "string", "enum": EnvironmentStatus.allCases.map(\.rawValue)], "active": boolean, "deployment_count": count,
                    "in_flight": nullableString, "current_release": ref("Release"), "last_stable_release": ref("Release"),
                    "configuration": ref("Configuration"), "created_at": timestamp, "destroyed_at": nullableTimestamp, "position": position,
                    "protection": ["oneOf": [ref("Protection"), ["type": "null"]]], "awaiting_approval": array(string),
                    "freeze_windows": array(ref("FreezeWindow")), "schedules": array(ref("Schedule")),
                ],
                required: [
                    "id", "organization_id", "project_id", "name", "status", "active", "deployment_count", "created_at", "position",
                    "awaiting_approval", "freeze_windows", "schedules",
                ]),
            "Configuration": closed(
                [
                    "host": string, "ssh_user": string, "ssh_port": ["type": "integer", "minimum": 1, "maximum": 65_535], "branch": string,
                    "auto_deploy": boolean, "pipeline": array(string), "resources": resourcesAnswer, "server": nullableString,
                    "settings": ["type": ["object", "null"], "additionalProperties": string], "auto_delete": boolean, "push_automation": boolean,
                ], required: ["host", "ssh_user", "ssh_port", "branch", "auto_deploy", "pipeline", "resources", "auto_delete", "push_automation"]),
            "EnvironmentList": array(ref("Environment")),
            "Release": closed(
                [
                    "deployment_id": string, "version": integer, "git_branch": nullableString, "git_commit": nullableString,
                    "git_tag": nullableString, "git_message": nullableString, "git_author": nullableString, "deployed_at": timestamp,
                    "rollback_target": boolean,
                ], required: ["deployment_id", "version", "deployed_at", "rollback_target"]),
            "ReleaseList": array(ref("Release")),
            "Quota": closed(
                [
                    "organization_id": string, "quota": resourcesAnswer, "used": resourcesAnswer, "active_environments": count,
                    "inactive_environments": count, "position": position,
                ], required: ["organization_id", "used", "active_environments", "inactive_environments", "position"]),
            "AuditPage": closed(["entries": array(ref("AuditEntry")), "next_cursor": nullableString], required: ["entries"]),
            "AuditEntry": closed(
                [
                    "position": position, "at": timestamp, "actor": nullableString, "action": string, "target": string,
                    "organization_id": nullableString, "project_id": nullableString, "request_id": nullableString,
                    "correlation_id": nullableString, "summary": string,
                ], required: ["position", "at", "action", "target", "summary"]),
            "Verify": object(["ok": boolean, "events_checked": integer, "first_bad_position": nullableInteger], required: ["ok"]),
            "Organization": object(["id": string, "name": string], required: ["id"]),
            "Project": object(["id": string, "organization_id": string, "name": string], required: ["id"]),
        ]
    }

    /// Every request body (`…Request`), as checked before anything is written.
    static var requestSchemas: [String: Any] {
        [
            "DeployRequest": closed(
                [
                    "environment_id": identifier, "project_id": identifier, "git_branch": gitName, "git_commit": gitCommit, "git_tag": gitName,
                    "git_message": text, "git_author": text,
                    // Rollbacks and destroys have endpoints of their own.
                    "trigger": ["type": "string", "enum": DeploymentTrigger.allCases.filter { $0 != .rollback && $0 != .destroy }.map(\.rawValue)],
                    "force": boolean, "break_glass_reason": reason,
                ], required: ["environment_id"]),
            "EnvironmentDeployRequest": closed([
                "git_branch": gitName, "git_commit": gitCommit, "git_tag": gitName, "git_message": text, "force": boolean, "break_glass_reason": reason,
            ]),
            "BreakGlassRequest": closed(["break_glass_reason": reason]),
            "CancelRequest": closed(["reason": text]),
            "OrganizationRequest": closed(["id": identifier, "name": text, "quota": resourcesRequest], required: ["id"]),
            "ProjectRequest": closed(
                [
                    "id": identifier, "organization_id": identifier, "name": text,
                    "repository": ["type": "string", "maxLength": RepositoryRules.maximumLength, "pattern": RepositoryRules.pattern],
                ], required: ["id", "organization_id"]),
            "ConfigurationRequest": closed(
                [
                    "host": word(253), "ssh_user": word(32), "ssh_port": port,
                    "pipeline": ["type": "array", "items": stepID, "minItems": 1, "maxItems": 64, "uniqueItems": true],
                    "cpu_millicores": resourceFields["cpu_millicores"]!, "memory_mb": resourceFields["memory_mb"]!,
                    "disk_gb": resourceFields["disk_gb"]!, "branch": gitName, "git_branch": gitName, "auto_deploy": boolean,
                    "auto_delete": boolean, "push_automation": boolean,
                    "server": identifier,
                    "settings": [
                        "type": "object", "maxProperties": 50, "propertyNames": ["pattern": "^[a-z_][a-z0-9_]{0,63}$"],
                        "additionalProperties": text,
                    ],
                ]),
            "ServerRequest": closed(
                [
                    "id": identifier, "organization_id": identifier, "host": word(253), "port": port, "user": word(32), "key_id": identifier,
                    "host_key_fingerprint": ["type": "string", "pattern": "^SHA256:[A-Za-z0-9+/=]{1,120}$"], "capacity": resourcesRequest,
                ], required: ["id", "organization_id", "host", "key_id", "host_key_fingerprint", "capacity"]),
            "TokenRequest": closed(
                [
                    "name": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^\\x00]*\\S[^\\x00]*$"],
                    "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)], "organization_id": identifier, "project_id": identifier,
                    "expires_in_days": ["type": "integer", "minimum": 1, "maximum": 366], "user": person,
                ], required: ["name", "role"]
            ).merging(["allOf": tokenScopeRules]) { $1 },
            "WebhookSecretRequest": closed(["secret": ["type": "string", "minLength": 16, "maxLength": 256, "pattern": "^[^\\x00]*$"]], required: ["secret"]),
            "EnvironmentRequest": closed(
                [
                    "id": identifier, "project_id": identifier, "name": text,
                    "type": ["type": "string", "enum": EnvironmentType.allCases.map(\.rawValue)],
                    // A first configuration says where to deploy: a host, or a registered server.
                    "configuration": ["allOf": [ref("ConfigurationRequest"), ["anyOf": [["required": ["host"]], ["required": ["server"]]]]]],
                ], required: ["id", "project_id"]),
        ]
    }
}
