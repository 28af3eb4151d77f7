import CommandRuntime
import PostgresNIO
import Logging
import Foundation

/// The one table a benchmark prints: each ledger figure beside its baseline and their ratio.
struct BenchReport {
    /// The middle value (the mean of the two middle ones for an even count; 0 for none).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    struct Row {
        var measure: String
        var ledger: String
        var baseline: String
        var ratio: Double?
        var target: Double?
    }

    var title: String
    var rows: [Row] = []
    var notes: [String] = []

    mutating func add(_ measure: String, ledger: String, baseline: String, ratio: Double? = nil, target: Double? = nil) {
        rows.append(Row(measure: measure, ledger: ledger, baseline: baseline, ratio: ratio, target: target))
    }

    func render() -> String {
        let header = ["measure", "ledger", "baseline (same run)", "ratio", "target"]
        let cells = rows.map { row in
            [row.measure, row.ledger, row.baseline,
             row.ratio.map { String(format: "%.2f×", $0) } ?? "",
             row.target.map { target in String(format: "≥ %.1f× %@", target, (row.ratio ?? 0) >= target ? "met" : "MISSED") } ?? ""]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ values: [String]) -> String {
            values.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var text = "\n\(title)\n" + line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        text += cells.map(line).joined(separator: "\n") + "\n"
        text += notes.map { "  \($0)\n" }.joined()
        return text
    }

    static func rate(_ value: Double, _ unit: String = "ev/s") -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return (formatter.string(from: NSNumber(value: value)) ?? String(Int(value))) + " " + unit
    }
}

/// Latencies of one measurement, in seconds.
struct LatencySample {
    var values: [Double] = []

    mutating func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        values.append(Double(seconds) + Double(attoseconds) / 1e18)
    }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

