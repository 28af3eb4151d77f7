import Foundation
import Ledger
import LedgerDomain

/// A compliance report in the shape every face shows it — the API's JSON, its CSV download and
/// the CLI: RFC 3339 times, snake_case keys, one row per change. Each column answers a question
/// of a change-management control (see the README's table: SOC 2 CC8.1, ISO/IEC 27001 A.8.32).
public enum ComplianceExport {
    /// The CSV columns, in order.
    public static let columns = [
        "deployment_id", "number", "trigger", "status", "requested_at", "finished_at", "requester", "actor", "branch", "tag", "commit",
        "configuration_fingerprint", "planned_pipeline_fingerprint", "ran_pipeline_fingerprint", "rules_in_force", "required_approvals",
        "approvers", "approvals_voided", "rejected_by", "separation_of_duties", "promoted_from", "break_glass_reason", "break_glass_windows",
        "error",
    ]

    /// The report as CSV: a header line, a line per change, then `#` lines with the integrity
    /// of the log range it was read from.
    public static func csv(_ report: ComplianceReport) -> String {
        var lines = [columns.joined(separator: ",")]
        for change in report.changes {
            lines.append(fields(change).map { AuditExport.csvField($0) }.joined(separator: ","))
        }
        if let integrity = report.integrity {
            lines.append("# integrity: positions \(integrity.fromPosition)–\(integrity.toPosition), \(integrity.eventsChecked) events, "
                + "seals \(integrity.seals.map(String.init).joined(separator: " ")), " + (integrity.isClean ? "verified" : "PROBLEMS: " + integrity.problems.joined(separator: "; ")))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One change's values in ``columns`` order.
    static func fields(_ change: ComplianceReport.Change) -> [String] {
        let counted = change.approvals.filter(\.counted).map { "\($0.user)\($0.role.map { " (\($0))" } ?? "") at \(Timestamps.format($0.atMicroseconds)): \($0.comment)" }
        return [
            change.deploymentID, "\(change.number)", change.trigger, change.status, Timestamps.format(change.requestedAtMicroseconds),
            change.finishedAtMicroseconds.map(Timestamps.format) ?? "", change.requester, change.actor, change.branch ?? "", change.tag ?? "",
            change.commit ?? "", change.configurationFingerprint, change.plannedPipelineFingerprint ?? "", change.ranPipelineFingerprint ?? "",
            change.rulesInForce.map(AuditSummary.describe) ?? "none", "\(change.requiredApprovals)", counted.joined(separator: " | "),
            "\(change.approvalsVoided)", change.rejection.map { "\($0.user): \($0.comment)" } ?? "", change.separationOfDuties,
            change.promotion.map { "\($0.environmentID) (\($0.deploymentID))" } ?? "", change.breakGlass?.reason ?? "",
            change.breakGlass?.windows.joined(separator: " ") ?? "", change.error ?? "",
        ]
    }
}
