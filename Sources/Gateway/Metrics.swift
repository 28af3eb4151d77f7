import Foundation
import Projections

/// `GET /metrics`: the log's head and every projection's position, lag, rate and failure, in
/// Prometheus's text format, so that a monitoring system sees a projection stopped by a bad
/// event (and which event) without anyone running `ledger projections status`.
public enum Metrics {
    public static func render(head: Int64, projections: [ProjectionStatus]) -> String {
        var text = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples {
                let labels = sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
                text += labels.isEmpty ? "\(name) \(sample.value)\n" : "\(name){\(labels)} \(sample.value)\n"
            }
        }
        func each(_ value: (ProjectionStatus) -> String) -> [(labels: [(String, String)], value: String)] {
            projections.map { ([("projection", $0.name)], value($0)) }
        }
        family("ledger_head_position", "Global position of the newest event in the log.", [([], "\(head)")])
        family("ledger_projection_position", "Last log position the projection has applied.", each { "\($0.position)" })
        family("ledger_projection_lag_events", "Positions between the log's head and the projection.", each { "\($0.lag)" })
        family("ledger_projection_rate_events_per_second", "Events applied per second recently.", each { "\($0.rate)" })
        family("ledger_projection_failed", "1 while a bad event stops the projection.", each { $0.state == "failed" ? "1" : "0" })
        family("ledger_projection_missing", "1 when the projection has no live copy yet.", each { $0.state == "missing" ? "1" : "0" })
        family(
            "ledger_projection_failure_info", "The event that stopped the projection.",
            projections.compactMap { status in
                guard status.state == "failed", let position = status.failedPosition else { return nil }
                return ([("projection", status.name), ("position", "\(position)"), ("event_type", status.failedEventType ?? "")], "1")
            })
        return text
    }

    /// A label value as the text format wants it: backslash, quote and newline escaped.
    public static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
