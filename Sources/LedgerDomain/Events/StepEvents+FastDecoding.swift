import Ledger
import Foundation

// Step events are, after log lines, the most frequent in the log: every step of every
// deployment starts and completes. Like ``LogLinesAppended/fastDecode(_:)``, these read the
// plain shape they encode to and answer nil for anything else, which `JSONDecoder` then decides.

extension StepStarted {
    public static func fastDecode(_ data: Data) -> StepStarted? {
        var common = StepFields()
        let parsed = JSONScanner.object(in: data) { scanner, key in common.read(key, from: &scanner) ?? false }
        guard parsed, let deploymentID = common.deploymentID, let step = common.step else { return nil }
        return StepStarted(deploymentID: deploymentID, step: step)
    }
}

extension StepCompleted {
    public static func fastDecode(_ data: Data) -> StepCompleted? {
        var common = StepFields()
        var duration: Int64?, summary: String?, summarySeen = false
        let parsed = JSONScanner.object(in: data) { scanner, key in
            if let read = common.read(key, from: &scanner) { return read }
            switch key {
            case "durationMs" where duration == nil:
                duration = scanner.int64()
                return duration != nil
            case "summary" where !summarySeen:
                summarySeen = true
                if scanner.consumeNull() { return true }
                summary = scanner.string()
                return summary != nil
            default:
                return false
            }
        }
        guard parsed, let deploymentID = common.deploymentID, let step = common.step, let duration, let durationMs = Int(exactly: duration)
        else { return nil }
        return StepCompleted(deploymentID: deploymentID, step: step, durationMs: durationMs, summary: summary)
    }
}

/// The two members every step event has.
private struct StepFields {
    var deploymentID: String?
    var step: DeploymentStep?

    /// Reads `key`'s value if it is one of the two (true when it was good, false when not, each
    /// at most once); nil for any other key.
    mutating func read(_ key: String, from scanner: inout JSONScanner) -> Bool? {
        switch key {
        case "deploymentID":
            guard deploymentID == nil else { return false }
            deploymentID = scanner.string()
            return deploymentID != nil
        case "step":
            guard step == nil else { return false }
            step = scanner.string().flatMap(DeploymentStep.init(rawValue:))
            return step != nil
        default:
            return nil
        }
    }
}

extension JSONScanner {
    /// Reads `data` as exactly one object (and nothing after it), handing each member to `member`.
    static func object(in data: Data, _ member: (inout JSONScanner, String) -> Bool) -> Bool {
        data.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            return scanner.object(member) && scanner.atEnd
        }
    }
}
