import ChildProcess
import Foundation

/// The built `ledger` executable, run as people and scripts run it: in the foreground with its
/// exit status and output, or in the background to be signalled and waited for.
public enum LedgerBinary {
    /// What one run ended with.
    public struct Run: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
        public var seconds: Double
    }

    /// `.build/debug/ledger` of this package (`make test` builds it before the tests).
    public static func path() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let binary = root.appendingPathComponent(".build/debug/ledger").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary + " (build the package first; make test does)"])
        }
        return binary
    }

    /// Runs `ledger ARGUMENTS` with `DATABASE_URL` set and waits for it.
    public static func run(_ arguments: String, databaseURL: String) async throws -> Run {
        let process = try await start(arguments, databaseURL: databaseURL)
        return await process.wait()
    }

    /// Starts `ledger ARGUMENTS` in the background.
    public static func start(_ arguments: String, databaseURL: String) async throws -> BackgroundLedger {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let binary = ShellCommand.quote(try path())
        let command = """
            echo $$ > \(directory)/pid; DATABASE_URL=\(ShellCommand.quote(databaseURL)) exec \(binary) \(arguments) > \(directory)/out 2> \(directory)/err
            """
        let started = ContinuousClock.now
        let task = Task { (try? await ShellCommand.run(command)) ?? -1 }
        var pid: Int32 = 0
        for _ in 0..<500 where pid == 0 {
            pid = Int32((try? String(contentsOfFile: directory + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            if pid == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        return BackgroundLedger(pid: pid, directory: directory, started: started, task: task)
    }
}

/// A `ledger` process running in the background.
public struct BackgroundLedger: Sendable {
    public let pid: Int32
    let directory: String
    let started: ContinuousClock.Instant
    let task: Task<Int32, Never>

    /// Sends `signal` (SIGTERM, SIGINT, …) to the process.
    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// What it has written to stderr so far.
    public var errors: String { (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "" }

    /// Waits for it to end.
    public func wait() async -> LedgerBinary.Run {
        let status = await task.value
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let run = LedgerBinary.Run(
            status: status, output: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "", errors: errors, seconds: seconds)
        try? FileManager.default.removeItem(atPath: directory)
        return run
    }
}
