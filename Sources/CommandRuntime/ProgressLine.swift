import Foundation
import LedgerArchive

/// One self-updating status line on stderr for long runs (events and MB done, rate, time left).
/// Shown only on a terminal and not with `--quiet`: scripts and pipes get nothing.
package final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var lastDrawn = ContinuousClock.now - .seconds(1)
    private var drew = false

    package init(_ label: String, quiet: Bool) {
        self.label = label
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// Redraws the line, at most a few times a second.
    package func update(_ progress: ArchiveProgress) {
        guard enabled else { return }
        lock.withLock {
            let now = ContinuousClock.now
            guard now - lastDrawn >= .milliseconds(250) else { return }
            lastDrawn = now
            drew = true
            StandardError.write("\r\u{1B}[K" + Self.describe(progress, label: label, elapsed: now - started))
        }
    }

    /// Ends the line so what follows starts on a fresh one.
    package func finish() {
        guard enabled else { return }
        lock.withLock { if drew { StandardError.write("\r\u{1B}[K") } }
    }

    package static func describe(_ progress: ArchiveProgress, label: String, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let rate = Double(progress.events) / seconds
        var parts = ["\(label): \(progress.events.formatted()) events"]
        if progress.totalEvents > 0 {
            parts[0] += " of \(progress.totalEvents.formatted()) (\(progress.events * 100 / progress.totalEvents) %)"
        }
        parts.append(String(format: "%.1f MB", Double(progress.bytes) / 1_000_000))
        parts.append("\(Int(rate).formatted()) events/s")
        if progress.totalEvents > progress.events, rate > 0 {
            parts.append("\(Int(Double(progress.totalEvents - progress.events) / rate)) s left")
        }
        return parts.joined(separator: ", ")
    }
}
