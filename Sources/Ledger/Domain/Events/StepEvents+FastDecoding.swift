import Foundation

// Step events are, after log lines, the most frequent in the log: every step of every
// deployment starts and completes. Like ``LogLinesAppended/fastDecode(_:)``, these read the
// plain shape they encode to and answer nil for anything else, which `JSONDecoder` then decides.

extension StepStarted {
    public static func fastDecode(_ data: Data) -> StepStarted? {
        var deploymentID: String?, step: DeploymentStep?
        let parsed = JSONScanner.object(in: data) { scanner, key in
            switch key {
            case "deploymentID" where deploymentID == nil:
                deploymentID = scanner.string()
                return deploymentID != nil
            case "step" where step == nil:
                step = scanner.string().flatMap(DeploymentStep.init(rawValue:))
                return step != nil
            default:
                return false
            }
        }
        guard parsed, let deploymentID, let step else { return nil }
        return StepStarted(deploymentID: deploymentID, step: step)
    }
}

extension StepCompleted {
    public static func fastDecode(_ data: Data) -> StepCompleted? {
        var deploymentID: String?, step: DeploymentStep?, duration: Int64?
        var summary: String?, summarySeen = false
        let parsed = JSONScanner.object(in: data) { scanner, key in
            switch key {
            case "deploymentID" where deploymentID == nil:
                deploymentID = scanner.string()
                return deploymentID != nil
            case "step" where step == nil:
                step = scanner.string().flatMap(DeploymentStep.init(rawValue:))
                return step != nil
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
        guard parsed, let deploymentID, let step, let duration, let durationMs = Int(exactly: duration) else { return nil }
        return StepCompleted(deploymentID: deploymentID, step: step, durationMs: durationMs, summary: summary)
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
