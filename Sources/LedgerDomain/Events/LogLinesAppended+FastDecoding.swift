import Ledger
import Foundation

extension LogLinesAppended {
    /// Decodes the current schema without `JSONDecoder` (log lines are most of the log, and a
    /// rebuild decodes each of them). Nil when the JSON is anything but the plain shape this
    /// type encodes to — an unknown key, a duplicate, a number in exotic notation — and the
    /// caller then decodes with `JSONDecoder`, which accepts or rejects it as usual.
    public static func fastDecode(_ data: Data) -> LogLinesAppended? {
        var deploymentID: String?
        var lines: [LogLine]?
        let parsed = JSONScanner.object(in: data) { scanner, key in
            switch key {
            case "deploymentID" where deploymentID == nil:
                deploymentID = scanner.string()
                return deploymentID != nil
            case "lines" where lines == nil:
                var parsedLines: [LogLine] = []
                guard scanner.array({ scanner in
                    guard let line = LogLine.scan(&scanner) else { return false }
                    parsedLines.append(line)
                    return true
                }) else { return false }
                lines = parsedLines
                return true
            default:
                return false
            }
        }
        guard parsed, let deploymentID, let lines else { return nil }
        return LogLinesAppended(deploymentID: deploymentID, lines: lines)
    }
}

extension LogLine {
    /// One line object, every key known and at most once; nil otherwise.
    fileprivate static func scan(_ scanner: inout JSONScanner) -> LogLine? {
        var level: LogLevel?, message: String?, at: Int64?
        var step: DeploymentStep?, stepSeen = false
        var data: [String: String]?, dataSeen = false
        let parsed = scanner.object { scanner, key in
            switch key {
            case "level" where level == nil:
                level = scanner.string().flatMap(LogLevel.init(rawValue:))
                return level != nil
            case "message" where message == nil:
                message = scanner.string()
                return message != nil
            case "atMicroseconds" where at == nil:
                at = scanner.int64()
                return at != nil
            case "step" where !stepSeen:
                stepSeen = true
                if scanner.consumeNull() { return true }
                step = scanner.string().flatMap(DeploymentStep.init(rawValue:))
                return step != nil
            case "data" where !dataSeen:
                dataSeen = true
                if scanner.consumeNull() { return true }
                var values: [String: String] = [:]
                guard scanner.object({ scanner, name in
                    guard values[name] == nil, let value = scanner.string() else { return false }
                    values[name] = value
                    return true
                }) else { return false }
                data = values
                return true
            default:
                return false
            }
        }
        guard parsed, let level, let message, let at else { return nil }
        return LogLine(level: level, step: step, message: message, data: data, atMicroseconds: at)
    }
}
