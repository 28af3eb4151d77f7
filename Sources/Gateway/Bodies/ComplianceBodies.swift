import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import Projections

/// `GET /api/v1/compliance/report?environment_id=&from=&to=&format=`: checked, a bad value is a
/// 400 naming it. The period defaults to the last 30 days.
struct ComplianceQuery {
    enum Format: String { case json, csv, ndjson }
    var environmentID: String
    var from: Int64
    var to: Int64
    var format: Format

    init(_ parameters: Parameters, nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)) throws {
        guard let environment = parameters["environment_id"].map(String.init), (try? DomainIDs.validate(environment, kind: "environment")) != nil else {
            throw APIError.badRequest("environment_id names the environment the report is about")
        }
        environmentID = environment
        func instant(_ name: String) throws -> Int64? {
            guard let text = parameters[Substring(name)] else { return nil }
            guard let micros = Timestamps.parse(String(text)) else { throw APIError.badRequest("\(name) must be an RFC 3339 time (got '\(text)')") }
            return micros
        }
        to = try instant("to") ?? nowMicroseconds
        from = try instant("from") ?? to - 30 * 86_400_000_000
        guard from < to else { throw APIError.badRequest("from must be before to") }
        guard let format = Format(rawValue: parameters["format"].map(String.init) ?? "json") else { throw APIError.badRequest("format is json, csv or ndjson") }
        self.format = format
    }
}

/// The compliance report as the JSON API shows it: the export's columns per change, with the
/// approvals listed one by one, and the integrity of the log range it was read from.
struct ComplianceReportBody: Encodable, Sendable {
    struct Approval: Encodable, Sendable {
        var user: String
        var role: String?
        var at: String
        var comment: String
        var commit: String?
        var counted: Bool
    }

    struct Change: Encodable, Sendable {
        var deploymentID: String
        var number: Int
        var trigger: String
        var status: String
        var requestedAt: String
        var finishedAt: String?
        var requester: String
        var actor: String
        var branch: String?
        var tag: String?
        var commit: String?
        var configurationFingerprint: String
        var plannedPipelineFingerprint: String?
        var ranPipelineFingerprint: String?
        var rulesInForce: ProtectionBody?
        var requiredApprovals: Int
        var approvals: [Approval]
        var approvalsVoided: Int
        var rejection: Approval?
        var separationOfDuties: String
        var promotion: DeploymentBody.Promotion?
        var breakGlass: DeploymentBody.BreakGlassBody?
        var error: String?
    }

    var environmentID: String
    var from: String
    var to: String
    var changes: [Change]
    var integrity: RangeVerification?

    init(_ report: ComplianceReport) {
        environmentID = report.environmentID
        from = Timestamps.format(report.fromMicroseconds)
        to = Timestamps.format(report.toMicroseconds)
        integrity = report.integrity
        changes = report.changes.map { change in
            let approval = { (given: ComplianceReport.Approval) in
                Approval(user: given.user, role: given.role, at: Timestamps.format(given.atMicroseconds), comment: given.comment, commit: given.commit, counted: given.counted)
            }
            return Change(
                deploymentID: change.deploymentID, number: change.number, trigger: change.trigger, status: change.status,
                requestedAt: Timestamps.format(change.requestedAtMicroseconds), finishedAt: change.finishedAtMicroseconds.map(Timestamps.format),
                requester: change.requester, actor: change.actor, branch: change.branch, tag: change.tag, commit: change.commit,
                configurationFingerprint: change.configurationFingerprint, plannedPipelineFingerprint: change.plannedPipelineFingerprint,
                ranPipelineFingerprint: change.ranPipelineFingerprint,
                rulesInForce: change.rulesInForce.map { ProtectionBody(environmentID: report.environmentID, $0) }, requiredApprovals: change.requiredApprovals,
                approvals: change.approvals.map(approval), approvalsVoided: change.approvalsVoided, rejection: change.rejection.map(approval),
                separationOfDuties: change.separationOfDuties,
                promotion: change.promotion.map {
                    DeploymentBody.Promotion(environmentID: $0.environmentID, deploymentID: $0.deploymentID, commit: $0.commit, deployedAt: Timestamps.format($0.deployedAtMicroseconds))
                },
                breakGlass: change.breakGlass.map { DeploymentBody.BreakGlassBody(reason: $0.reason, windows: $0.windows) }, error: change.error)
        }
    }
}
