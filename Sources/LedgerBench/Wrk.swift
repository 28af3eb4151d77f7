import CommandRuntime
import ChildProcess
import Foundation
import Ledger

/// Runs wrk (Debian's package) against a URL and reads back its figures.
struct Wrk {
    struct Result {
        var requestsPerSecond: Double
        var requests: Int
        var failures: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var seconds: Double

        /// Answers below 400 per second.
        var successesPerSecond: Double { Double(requests - failures) / seconds }
    }

    var connections = 16
    var threads = 2
    var seconds = 5

    /// GETs `url` (or runs `script`, a Lua file that shapes each request) with `token`.
    func run(_ url: String, token: String, script: String? = nil) async throws -> Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-wrk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let scriptOption = script.map { "-s \(ShellCommand.quote($0))" } ?? ""
        let status = try await ShellCommand.run(
            "wrk -t\(threads) -c\(connections) -d\(seconds)s --latency \(scriptOption) -H \(ShellCommand.quote("Authorization: Bearer \(token)")) "
                + "\(ShellCommand.quote(url)) > \(output) 2>&1")
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0, let rate = Self.number(after: "Requests/sec:", in: text) else {
            throw LedgerError(.missingDependency, "wrk failed (is it installed? apt-get install -y wrk): \(text.prefix(300))")
        }
        let requests = Int(Self.number(before: " requests in", in: text) ?? 0)
        let failures = Int(Self.number(after: "Non-2xx or 3xx responses:", in: text) ?? 0)
        return Result(
            requestsPerSecond: rate, requests: requests, failures: failures, p50Milliseconds: Self.latency("50%", in: text),
            p99Milliseconds: Self.latency("99%", in: text), seconds: Double(seconds))
    }

    static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        return Double(text[range.upperBound...].drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber || $0 == "." })
    }

    static func number(before label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        return Double(String(text[..<range.lowerBound].reversed().prefix { $0.isNumber }.reversed()))
    }

    /// A latency percentile line (`50%  1.23ms`) in milliseconds.
    static func latency(_ label: String, in text: String) -> Double {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return 0 }
        let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
        let digits = Double(value.prefix { $0.isNumber || $0 == "." }) ?? 0
        if value.hasSuffix("us") { return digits / 1_000 }
        if value.hasSuffix("ms") { return digits }
        if value.hasSuffix("s") { return digits * 1_000 }
        return digits
    }
}
