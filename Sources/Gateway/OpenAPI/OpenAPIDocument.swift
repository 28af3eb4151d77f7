import Foundation
import Ledger
import LedgerDomain

/// The OpenAPI 3.1 document of the HTTP API, served at `/openapi.json`. A test keeps it true:
/// every route the server registers is in it, and every path in it is registered.
public enum OpenAPIDocument {
    /// One operation: method, path (OpenAPI style, `{id}`), what it does and needs, what it takes and answers.
    public struct Operation: Sendable {
        public var method: String
        public var path: String
        var summary: String
        public var permission: Permission?
        var query: [String] = []
        /// The query parameters that must be given.
        var requiredQuery: [String] = []
        var body: String?
        var answers: [Int: String]
    }

    public static let operations: [Operation] = [
        Operation(method: "get", path: "/health", summary: "Liveness", answers: [200: "object"]),
        Operation(method: "get", path: "/metrics", summary: "Prometheus metrics", answers: [200: "text"]),
        Operation(method: "get", path: "/healthz", summary: "Alive", answers: [200: "object"]),
        Operation(method: "get", path: "/readyz", summary: "Ready: the database answers and is migrated", answers: [200: "object"]),
        Operation(method: "get", path: "/openapi.json", summary: "This document", answers: [200: "object"]),
        Operation(method: "get", path: "/", summary: "Redirects to the dashboard", answers: [302: "empty"]),
        Operation(method: "get", path: "/dashboard", summary: "The dashboard page (also at /dashboard/)", answers: [200: "html", 304: "empty"]),
        Operation(method: "get", path: "/dashboard/app.js", summary: "The dashboard's script", answers: [200: "javascript", 304: "empty"]),
        Operation(method: "get", path: "/dashboard/governance.js", summary: "The dashboard's approvals, rules and report", answers: [200: "javascript", 304: "empty"]),
        Operation(method: "get", path: "/dashboard/app.css", summary: "The dashboard's style sheet", answers: [200: "css", 304: "empty"]),
        Operation(method: "get", path: "/api/v1/me", summary: "The token's name, role, scope and permissions", permission: .listDeployments, answers: [200: "Me"]),
        Operation(method: "get", path: "/api/v1/integrity", summary: "Head position, last seal and last verification", permission: .viewAudit, answers: [200: "Integrity"]),
        Operation(
            method: "get", path: "/api/v1/deployments", summary: "List deployments, newest first", permission: .listDeployments,
            query: [
                "project_id", "environment_id", "status", "trigger", "git_branch", "git_commit", "triggered_by", "created_from", "created_before",
                "finished_from", "finished_before", "cursor", "skip", "limit",
            ], answers: [200: "DeploymentList"]),
        Operation(method: "post", path: "/api/v1/deployments", summary: "Deploy", permission: .deploy, body: "DeployRequest", answers: [201: "Deployment", 200: "Deployment"]),
        Operation(method: "get", path: "/api/v1/deployments/{id}", summary: "A deployment", permission: .viewDeployments, answers: [200: "Deployment"]),
        Operation(method: "get", path: "/api/v1/deployments/{id}/progress", summary: "Step N of M, percent", permission: .viewDeployments, answers: [200: "Progress"]),
        Operation(
            method: "get", path: "/api/v1/deployments/{id}/logs", summary: "Log lines, in order", permission: .viewDeployments,
            query: ["level", "step", "skip", "limit"], answers: [200: "LogsPage"]),
        Operation(method: "get", path: "/api/v1/deployments/{id}/history", summary: "The deployment at a past instant or position", permission: .viewDeployments, query: ["at", "position"], answers: [200: "History"]),
        Operation(method: "post", path: "/api/v1/deployments/{id}/retry", summary: "Retry a failed deployment", permission: .deploy, body: "BreakGlassRequest", answers: [200: "Deployment"]),
        Operation(method: "post", path: "/api/v1/deployments/{id}/rollback", summary: "Roll back to this deployment", permission: .deploy, body: "BreakGlassRequest", answers: [200: "Deployment"]),
        Operation(method: "post", path: "/api/v1/deployments/{id}/cancel", summary: "Cancel", permission: .cancelDeployments, body: "CancelRequest", answers: [200: "Deployment"]),
        Operation(
            method: "post", path: "/api/v1/deployments/{id}/approve",
            summary: "Approve a deployment awaiting approval (not its requester; an eligible reviewer); the last approval needed releases it",
            permission: .approveDeployments, body: "ApprovalRequest", answers: [200: "Deployment"]),
        Operation(
            method: "post", path: "/api/v1/deployments/{id}/reject", summary: "Reject a deployment awaiting approval: it ends, never having run",
            permission: .approveDeployments, body: "ApprovalRequest", answers: [200: "Deployment"]),
        Operation(
            method: "get", path: "/api/v1/environments/{id}/freeze-windows", summary: "The environment's freeze windows, its project's, and those in force now",
            permission: .listDeployments, answers: [200: "FreezeWindows"]),
        Operation(
            method: "put", path: "/api/v1/environments/{id}/freeze-windows", summary: "Set the environment's freeze windows (an empty list removes them)",
            permission: .protectEnvironments, body: "FreezeWindowsRequest", answers: [200: "FreezeWindows"]),
        Operation(
            method: "put", path: "/api/v1/projects/{id}/freeze-windows", summary: "Set freeze windows for every environment of the project",
            permission: .protectEnvironments, body: "FreezeWindowsRequest", answers: [200: "FreezeWindows"]),
        Operation(
            method: "post", path: "/api/v1/environments/{id}/schedules",
            summary: "Schedule a deployment once (at) or on a cron schedule in a time zone; every occurrence goes through the environment's rules",
            permission: .deploy, body: "ScheduleRequest", answers: [201: "ScheduleList"]),
        Operation(
            method: "delete", path: "/api/v1/environments/{id}/schedules/{schedule_id}", summary: "Remove a schedule",
            permission: .deploy, answers: [200: "ScheduleList"]),
        Operation(method: "get", path: "/api/v1/environments/{id}/protection", summary: "The environment's protection rules", permission: .listDeployments, answers: [200: "Protection"]),
        Operation(
            method: "put", path: "/api/v1/environments/{id}/protection", summary: "Set the protection rules (rules that demand nothing remove them)",
            permission: .protectEnvironments, body: "ProtectionRequest", answers: [200: "Protection"]),
        Operation(method: "delete", path: "/api/v1/deployments/environment/{id}/destroy", summary: "Destroy an environment", permission: .deploy, query: ["delete_data"], answers: [200: "Deployment"]),
        Operation(method: "post", path: "/api/v1/environments/{id}/deploy", summary: "Deploy an environment (its branch by default)", permission: .deploy, body: "EnvironmentDeployRequest", answers: [201: "Deployment", 200: "Deployment"]),
        Operation(method: "get", path: "/api/v1/environments", summary: "List environments", permission: .listDeployments, query: ["project_id"], answers: [200: "EnvironmentList"]),
        Operation(method: "post", path: "/api/v1/environments", summary: "Create an environment", permission: .manageEnvironments, body: "EnvironmentRequest", answers: [201: "Environment"]),
        Operation(method: "get", path: "/api/v1/environments/{id}", summary: "An environment", permission: .listDeployments, answers: [200: "Environment"]),
        Operation(method: "patch", path: "/api/v1/environments/{id}", summary: "Change some settings (commands, URLs, paths, the pipeline and the host or server need org.pipelines.manage)", permission: .manageEnvironments, body: "ConfigurationRequest", answers: [200: "Environment"]),
        Operation(method: "patch", path: "/api/v1/projects/{project_id}/environments/{env_id}", summary: "Change some settings of a project's environment (the seed's path; as PATCH /environments/{id})", permission: .manageEnvironments, body: "ConfigurationRequest", answers: [200: "Environment"]),
        Operation(method: "get", path: "/api/v1/environments/{id}/releases", summary: "Releases (rollback targets)", permission: .listDeployments, answers: [200: "ReleaseList"]),
        Operation(method: "get", path: "/api/v1/environments/{id}/history", summary: "The environment at a past instant or position", permission: .viewDeployments, query: ["at", "position"], answers: [200: "History"]),
        Operation(method: "post", path: "/api/v1/organizations", summary: "Create an organisation", permission: .administer, body: "OrganizationRequest", answers: [201: "Organization"]),
        Operation(method: "get", path: "/api/v1/organizations/{id}", summary: "An organisation", permission: .listDeployments, answers: [200: "Organization"]),
        Operation(method: "get", path: "/api/v1/organizations/{id}/quota", summary: "Quota and usage", permission: .viewQuota, answers: [200: "Quota"]),
        Operation(method: "post", path: "/api/v1/projects", summary: "Create a project", permission: .manageProjects, body: "ProjectRequest", answers: [201: "Project"]),
        Operation(method: "get", path: "/api/v1/projects/{id}", summary: "A project", permission: .listDeployments, answers: [200: "Project"]),
        Operation(
            method: "get", path: "/api/v1/audit", summary: "The audit trail (JSON pages; CSV or NDJSON downloads)", permission: .viewAudit,
            query: ["actor", "action", "target", "organization_id", "from", "to", "cursor", "after", "limit", "format"], answers: [200: "AuditPage"]),
        Operation(method: "post", path: "/api/v1/tokens", summary: "Issue a token (its secret is in this answer only)", permission: .manageTokens, body: "TokenRequest", answers: [201: "IssuedToken"]),
        Operation(method: "get", path: "/api/v1/tokens", summary: "List tokens (never their secrets)", permission: .manageTokens, query: ["organization_id"], answers: [200: "TokenList"]),
        Operation(method: "delete", path: "/api/v1/tokens/{id}", summary: "Revoke a token", permission: .manageTokens, answers: [204: "empty"]),
        Operation(method: "get", path: "/api/v1/servers", summary: "List servers", permission: .viewQuota, query: ["organization_id"], answers: [200: "ServerList"]),
        Operation(method: "post", path: "/api/v1/servers", summary: "Register a server with a key of its organisation's keyring, checking on the host that it presents the host key expected, and pin it", permission: .manageServers, body: "ServerRequest", answers: [201: "Server"]),
        Operation(method: "get", path: "/api/v1/servers/{id}", summary: "A server", permission: .viewQuota, answers: [200: "Server"]),
        Operation(method: "delete", path: "/api/v1/servers/{id}", summary: "Remove a server no environment uses", permission: .manageServers, answers: [200: "Server"]),
        Operation(
            method: "get", path: "/api/v1/events", summary: "Deployment events live (Server-Sent Events; resume with Last-Event-ID)",
            permission: .viewDeployments, query: ["deployment_id", "environment_id", "project_id", "after", "follow"], answers: [200: "event-stream"]),
        Operation(
            method: "put", path: "/api/v1/projects/{id}/webhook-secret", summary: "Set the project's git webhook secret (never shown again)",
            permission: .manageEnvironments, body: "WebhookSecretRequest", answers: [200: "object"]),
        Operation(
            method: "post", path: "/api/v1/webhooks/github",
            summary: "A GitHub push (signed with X-Hub-Signature-256) deploys the environments that auto-deploy its branch",
            query: ["project_id"], body: "object", answers: [202: "WebhookAnswer", 200: "WebhookAnswer", 400: "Error", 401: "Error", 413: "Error", 422: "Error", 429: "Error"]),
        Operation(
            method: "post", path: "/api/v1/webhooks/gitlab",
            summary: "A GitLab push (X-Gitlab-Token) deploys the environments that auto-deploy its branch",
            query: ["project_id"], body: "object", answers: [202: "WebhookAnswer", 200: "WebhookAnswer", 400: "Error", 401: "Error", 413: "Error", 422: "Error", 429: "Error"]),
        Operation(
            method: "get", path: "/api/v1/compliance/report",
            summary: "An environment's changes in a period with requester, approvers, rules in force, promotion, break-glass and outcome, and the integrity of their log range (JSON or CSV)",
            permission: .viewAudit, query: ["environment_id", "from", "to", "format"], requiredQuery: ["environment_id"], answers: [200: "ComplianceReport"]),
        Operation(method: "get", path: "/api/v1/verify", summary: "Check every hash chain and seal", permission: .administer, answers: [200: "Verify"]),
    ]

    /// The `{name}`s of a path, in order.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    /// The document as JSON bytes.
    static func json() throws -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            var entry: [String: Any] = ["summary": operation.summary, "operationId": operationID(operation)]
            var parameters: [[String: Any]] = operation.query.map {
                ["name": $0, "in": "query", "required": operation.requiredQuery.contains($0), "schema": querySchema($0)]
            }
            for name in pathParameters(operation.path) {
                // Tokens are named by their UUID; everything else by an identifier.
                let schema: [String: Any] = operation.path.hasPrefix("/api/v1/tokens/") ? ["type": "string", "format": "uuid"] : identifier
                parameters.append(["name": name, "in": "path", "required": true, "schema": schema])
            }
            if !parameters.isEmpty { entry["parameters"] = parameters }
            if let permission = operation.permission {
                entry["security"] = [["bearer": []]]
                entry["description"] = "Needs the permission \(permission.rawValue)."
            } else {
                entry["security"] = []
            }
            if let body = operation.body {
                let schema: [String: Any] = body == "object" ? ["type": "object"] : ["$ref": "#/components/schemas/\(body)"]
                // These bodies may be left out (a deploy of the environment's branch, a cancel without a reason).
                let optional = ["EnvironmentDeployRequest", "CancelRequest", "BreakGlassRequest"].contains(body)
                entry["requestBody"] = ["required": !optional, "content": ["application/json": ["schema": schema]]]
            }
            var responses: [String: Any] = [:]
            for (status, schema) in operation.answers {
                responses["\(status)"] = response(schema)
            }
            if operation.answers[200] == "DeploymentList" {
                responses["200"] = response("DeploymentList").merging(["headers": listHeaders]) { $1 }
            }
            for status in operation.permission == nil ? [503] : [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] {
                responses["\(status)"] = ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
            }
            entry["responses"] = responses
            paths[operation.path, default: [:]][operation.method] = entry
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "Deployment ledger API", "version": "1"],
            "paths": paths,
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "An API token (ldg_…) from `ledger tokens create`."]],
                "schemas": schemas,
            ],
        ]
        return Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
    }

    /// What a query parameter takes, so that generated requests reach the handlers' logic.
    static func querySchema(_ name: String) -> [String: Any] {
        switch name {
        case "skip", "after", "position": ["type": "integer", "minimum": 0]
        case "limit": ["type": "integer", "minimum": 1, "maximum": 100]
        case "status": ["type": "string", "enum": DeploymentStatus.allCases.map(\.rawValue)]
        case "trigger": ["type": "string", "enum": DeploymentTrigger.allCases.map(\.rawValue)]
        case "level": ["type": "string", "enum": ["debug", "info", "warning", "error"]]
        case "format": ["type": "string", "enum": ["json", "csv", "ndjson"]]
        case "delete_data", "follow": ["type": "boolean"]
        case "at", "from", "to", "created_from", "created_before", "finished_from", "finished_before": ["type": "string", "format": "date-time"]
        case "cursor":
            ["type": "string", "pattern": "^[A-Za-z0-9_-]{0,64}$", "description": "the opaque cursor of the page before (X-Next-Cursor, or next_cursor); empty: the first page"]
        case "git_commit": gitCommit
        case "environment_id", "project_id", "deployment_id": identifier
        default: ["type": "string"]
        }
    }

    static func operationID(_ operation: Operation) -> String {
        operation.method + operation.path.split(separator: "/").map { $0.replacingOccurrences(of: "{id}", with: "ById").capitalized }.joined()
            .replacingOccurrences(of: ".", with: "").replacingOccurrences(of: "_", with: "")
    }

    static func response(_ schema: String) -> [String: Any] {
        switch schema {
        case "text": ["description": "ok", "content": ["text/plain": ["schema": ["type": "string"]]]]
        case "html": ["description": "ok", "content": ["text/html": ["schema": ["type": "string"]]]]
        case "javascript": ["description": "ok", "content": ["text/javascript": ["schema": ["type": "string"]]]]
        case "css": ["description": "ok", "content": ["text/css": ["schema": ["type": "string"]]]]
        case "event-stream": ["description": "Server-Sent Events", "content": ["text/event-stream": ["schema": ["type": "string"]]]]
        case "object": ["description": "ok", "content": ["application/json": ["schema": ["type": "object"]]]]
        case "empty": ["description": "done"]
        case "ComplianceReport":
            [
                "description": "the report (json), or its changes as a download (csv with an integrity line, ndjson)",
                "content": [
                    "application/json": ["schema": ["$ref": "#/components/schemas/ComplianceReport"]], "text/csv": ["schema": ["type": "string"]],
                    "application/x-ndjson": ["schema": ["type": "string"]],
                ],
            ]
        case "AuditPage":
            [
                "description": "a page (json), or the whole selection as a download (csv, ndjson)",
                "content": [
                    "application/json": ["schema": ["$ref": "#/components/schemas/AuditPage"]], "text/csv": ["schema": ["type": "string"]],
                    "application/x-ndjson": ["schema": ["type": "string"]],
                ],
            ]
        default: ["description": "ok", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]]
        }
    }
}
