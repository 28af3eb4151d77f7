import ChildProcess
import Foundation
import Synchronization

/// A few HTTP requests by curl, with their status, body and time.
public enum HTTP {
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        public var seconds: Double
        /// The response's header lines, as sent.
        public var headers: String = ""
    }

    public static func get(_ port: Int, _ path: String, headers: [String] = []) async throws -> Answer {
        try await send("GET", port, path, headers: headers)
    }

    /// Sends `method` to `path` with `headers` and, when given, `body` (as is).
    public static func send(_ method: String, _ port: Int, _ path: String, headers: [String] = [], body: String? = nil) async throws -> Answer {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-http-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let started = ContinuousClock.now
        let sent = headers.map { "-H " + ShellCommand.quote($0) }.joined(separator: " ")
        var data = ""
        if let body {
            _ = FileManager.default.createFile(atPath: file + ".request", contents: Data(body.utf8))
            data = "--data-binary @\(file).request"
        }
        defer { try? FileManager.default.removeItem(atPath: file + ".request") }
        _ = try await ShellCommand.run(
            "curl -s -m 30 -X \(method) \(sent) \(data) -D \(file).headers -o \(file).body -w '%{http_code}' \(ShellCommand.quote("http://127.0.0.1:\(port)\(path)")) > \(file)")
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        defer {
            try? FileManager.default.removeItem(atPath: file + ".body")
            try? FileManager.default.removeItem(atPath: file + ".headers")
        }
        let status = Int((try? String(contentsOfFile: file, encoding: .utf8)) ?? "") ?? 0
        return Answer(
            status: status, body: (try? String(contentsOfFile: file + ".body", encoding: .utf8)) ?? "", seconds: seconds,
            headers: (try? String(contentsOfFile: file + ".headers", encoding: .utf8)) ?? "")
    }
}

/// Polls `condition` every 100 ms for up to `limit`; throws naming `what` if it never holds.
public func waitUntil(_ what: String, within limit: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TimedOutWaiting(what: what)
}

/// A count shared between tasks.
public final class Counter: Sendable {
    public init() {}
    private let count = Mutex(0)
    public func add() { count.withLock { $0 += 1 } }
    public var value: Int { count.withLock { $0 } }
}

/// What ``waitUntil(_:within:_:)`` throws when its condition never held.
public struct TimedOutWaiting: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting until \(what)" }
}

/// Rate limits count in fixed one-minute windows: a test that sends a few requests and expects
/// the last ones refused starts well inside a window (waiting for the next one when less than
/// 20 s of this one are left), so that its requests are not split between two windows.
public func startWellInsideARateLimitWindow() async throws {
    let intoWindow = Int(Date().timeIntervalSince1970 * 1_000) % 60_000
    if intoWindow > 40_000 { try await Task.sleep(for: .milliseconds(60_000 - intoWindow + 200)) }
}
