import CommandRuntime
import ArgumentParser
import ChildProcess
import Foundation
import Ledger
import LedgerAccess
import Logging
import LedgerRedis
import LoopbackSSH
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// A `ledger serve` child process (the `ledger` beside this benchmark).
struct GatewayProcess: Sendable {
    let pid: Int32
    let task: Task<Int32, Never>

    static func start(arguments: String, databaseURL: DatabaseURL, scratch: String) async throws -> GatewayProcess {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let binary = try LedgerBinary.path()
        let pidFile = scratch + "/gateway.pid"
        let command = "echo $$ > \(ShellCommand.quote(pidFile)); DATABASE_URL=\(ShellCommand.quote(databaseURL.connectionString)) exec \(ShellCommand.quote(binary)) \(arguments) > \(ShellCommand.quote(scratch + "/gateway.log")) 2>&1"
        // Not awaited: it waits for (and so reaps) the child, which `stop()` signals to end.
        let task = Task { (try? await ShellCommand.run(command)) ?? -1 }
        for _ in 0..<500 {
            if let pid = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
                return GatewayProcess(pid: pid, task: task)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LedgerError(.unavailable, "the gateway process did not start")
    }

    func waitUntilReady(port: Int) async throws {
        for _ in 0..<600 {
            if (try? await ShellCommand.run("curl -sf -o /dev/null http://127.0.0.1:\(port)/readyz")) == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LedgerError(.unavailable, "the gateway did not become ready within 60 s")
    }

    /// VmRSS of the process, in kilobytes.
    func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    func stop() { kill(pid, SIGTERM) }
}
