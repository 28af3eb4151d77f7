import LedgerDomain

extension OpenAPIDocument {
    /// Protection rules and approvals: what is asked, and what a deployment's approval looks like.
    static var governanceSchemas: [String: Any] {
        approvalSchemas.merging(scheduleSchemas) { first, _ in first }.merging(complianceSchemas) { first, _ in first }
    }

    /// Schedules.
    static var scheduleSchemas: [String: Any] {
        [
            "ScheduleRequest": closed(
                [
                    "id": identifier, "git_branch": gitName, "git_commit": gitCommit, "git_tag": gitName, "at": timestamp,
                    "schedule": closed(["cron": cron, "timezone": timeZone, "enabled": boolean], required: ["cron"]),
                    "in_freeze": ["type": "string", "enum": DeploymentSchedule.FreezePolicy.allCases.map(\.rawValue)], "enabled": boolean,
                ], required: ["id"]),
            "Schedule": schedule,
            "ScheduleList": array(ref("Schedule")),
        ]
    }

    /// The compliance report.
    static var complianceSchemas: [String: Any] {
        let fingerprint: [String: Any] = ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"]
        return [
            "ComplianceReport": object(
                [
                    "environment_id": string, "from": timestamp, "to": timestamp,
                    "changes": array(object(
                        [
                            "deployment_id": string, "number": integer, "trigger": string, "status": deploymentStatus, "requested_at": timestamp,
                            "requester": string, "actor": string, "configuration_fingerprint": fingerprint, "required_approvals": count,
                            "approvals": array(verdictOfReport), "approvals_voided": count, "separation_of_duties": [
                                "type": "string", "enum": ["held", "not_required", "pending", "violated"],
                            ],
                        ],
                        required: [
                            "deployment_id", "number", "trigger", "status", "requested_at", "requester", "actor", "configuration_fingerprint",
                            "required_approvals", "approvals", "approvals_voided", "separation_of_duties",
                        ])),
                    "integrity": [
                        "type": ["object", "null"],
                        "properties": [
                            "from_position": integer, "to_position": integer, "events_checked": count, "seals": array(integer), "problems": array(string),
                        ],
                    ],
                ], required: ["environment_id", "from", "to", "changes"]),
        ]
    }

    /// Rules, approvals, freeze windows.
    static var approvalSchemas: [String: Any] {
        let verdict = closed(
            [
                "user": string, "role": nullableString, "comment": string, "at": timestamp, "commit": nullableString, "standing": boolean,
            ], required: ["user", "comment", "at", "standing"])
        let fingerprint: [String: Any] = ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"]
        return [
            "ApprovalRequest": closed(
                ["comment": ["type": "string", "minLength": 1, "maxLength": ApprovalDecisions.maximumCommentLength, "pattern": "^[^\\x00]*$"]],
                required: ["comment"]),
            "ProtectionRequest": closed([
                "required_approvals": ["type": "integer", "minimum": 0, "maximum": ProtectionRules.maximumApprovals],
                "reviewer_roles": ["type": "array", "items": ["type": "string", "enum": Role.allCases.map(\.rawValue)], "maxItems": Role.allCases.count, "uniqueItems": true],
                "reviewer_users": ["type": "array", "items": person, "maxItems": 50],
                "allowed_refs": ["type": "array", "items": gitPattern, "maxItems": 50],
                "require_deploy_permission": boolean,
                "approval_lifetime_hours": ["type": "integer", "minimum": 1, "maximum": ProtectionRules.maximumApprovalLifetimeHours],
                "upstream_environment_id": identifier, "wait_minutes": ["type": "integer", "minimum": 0, "maximum": ProtectionRules.maximumWaitMinutes],
            ]),
            "Protection": closed(
                [
                    "environment_id": string, "protected": boolean, "required_approvals": count, "reviewer_roles": array(string),
                    "reviewer_users": array(string), "allowed_refs": array(string), "require_deploy_permission": boolean,
                    "approval_lifetime_hours": integer, "upstream_environment_id": nullableString, "wait_minutes": count,
                ],
                required: [
                    "environment_id", "protected", "required_approvals", "reviewer_roles", "reviewer_users", "allowed_refs",
                    "require_deploy_permission", "approval_lifetime_hours", "wait_minutes",
                ]),
            "FreezeWindowsRequest": closed(["windows": ["type": "array", "items": freezeWindowRequest, "maxItems": FreezeWindow.maximumWindows]], required: ["windows"]),
            "FreezeWindow": freezeWindow,
            "FreezeWindows": closed(
                [
                    "scope": string, "target_id": string, "windows": array(ref("FreezeWindow")), "project_windows": array(ref("FreezeWindow")),
                    "active_now": array(string),
                ],
                required: ["scope", "target_id", "windows", "project_windows", "active_now"]),
            "Approval": closed(
                [
                    "required_approvals": count, "standing_approvals": count, "commit": string, "configuration_fingerprint": fingerprint,
                    "pipeline_fingerprint": ["oneOf": [fingerprint, ["type": "null"]]], "excluded": array(string), "reviewer_roles": array(string),
                    "reviewer_users": array(string), "approval_lifetime_hours": integer, "approvals": array(verdict), "voided_approvals": count,
                    "last_void_reason": nullableString, "rejection": ["oneOf": [verdict, ["type": "null"]]],
                    "granted_by": ["type": ["array", "null"], "items": string], "granted_at": nullableTimestamp, "not_before": nullableTimestamp,
                ],
                required: [
                    "required_approvals", "standing_approvals", "commit", "configuration_fingerprint", "excluded", "reviewer_roles",
                    "reviewer_users", "approval_lifetime_hours", "approvals", "voided_approvals",
                ]),
        ]
    }

    /// An approval as the compliance report lists it.
    static var verdictOfReport: [String: Any] {
        object(["user": string, "role": nullableString, "at": timestamp, "comment": string, "commit": nullableString, "counted": boolean], required: ["user", "at", "counted"])
    }

    /// A scheduled deployment as answers show it.
    static var schedule: [String: Any] {
        closed(
            [
                "id": string, "git_branch": nullableString, "git_commit": nullableString, "git_tag": nullableString, "at": nullableTimestamp,
                "cron": nullableString, "timezone": nullableString, "in_freeze": string, "enabled": boolean, "requested_by": string,
                "requester": nullableString, "last_occurrence": nullableTimestamp, "waiting_occurrence": nullableTimestamp,
                "next_occurrence": nullableTimestamp,
            ], required: ["id", "in_freeze", "enabled", "requested_by"])
    }

    /// A freeze window as a request gives it: recurring or once (the domain checks which).
    static var freezeWindowRequest: [String: Any] {
        closed(
            [
                "name": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^\\x00-\\x20\\x7F-\\x9F]([^\\x00-\\x1F\\x7F-\\x9F]*[^\\x00-\\x20\\x7F-\\x9F])?$"],
                "cron_start": cron, "cron_end": cron, "time_zone": timeZone, "from": timestamp, "to": timestamp, "allow_rollbacks": boolean,
            ], required: ["name"]
        ).merging([
            // Recurring (a cron start and end) or once (from and to): one of the two, whole.
            "oneOf": [
                ["required": ["cron_start", "cron_end"], "not": ["anyOf": [["required": ["from"]], ["required": ["to"]]]]],
                ["required": ["from", "to"], "not": ["anyOf": [["required": ["cron_start"]], ["required": ["cron_end"]], ["required": ["time_zone"]]]]],
            ]
        ]) { $1 }
    }

    /// Five cron fields (minute hour day month weekday); the domain checks each field's range.
    static var cron: [String: Any] { ["type": "string", "maxLength": 200, "pattern": "^[0-9*,/-]+( [0-9*,/-]+){4}$"] }

    /// An IANA time zone's name; the domain checks that it exists.
    static var timeZone: [String: Any] { ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$"] }

    /// A freeze window as answers show it.
    static var freezeWindow: [String: Any] {
        closed(
            [
                "name": string, "cron_start": nullableString, "cron_end": nullableString, "time_zone": nullableString, "from": nullableTimestamp,
                "to": nullableTimestamp, "allow_rollbacks": boolean,
            ], required: ["name"])
    }

    /// A branch or tag pattern: a git name in which `*` stands for any characters.
    static var gitPattern: [String: Any] {
        ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^-\\x00-\\x20\\x7F~^:?\\[\\\\][^\\x00-\\x20\\x7F~^:?\\[\\\\]*$"]
    }
}
