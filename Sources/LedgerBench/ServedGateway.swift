import CommandRuntime
import ChildProcess
import Foundation
import Ledger
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `ledger serve` as a process of its own for `ledger-bench http`: the server measured is the one
/// operators run (without Redis or rate limits), and its memory is its own — not that of the
/// benchmark, which sets up the environments, runs the projections and makes the in-process baseline's deploys.
struct ServedGateway: Sendable {
    let pid: pid_t
    /// The API's root, `http://127.0.0.1:PORT`.
    let url: String
    private let exit: ExitStatus
    private let directory: URL

    /// Starts `ledger serve` on a free loopback port of the database at `database` and waits
    /// (at most `deadline`) until it listens.
    static func start(database: DatabaseURL, deadline: Duration = .seconds(60)) async throws -> ServedGateway {
        let executable = try LedgerBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The URL may carry a password: it travels in a private file, not on a command line.
        let urlFile = directory.appendingPathComponent("url").path
        guard FileManager.default.createFile(atPath: urlFile, contents: Data(database.connectionString.utf8), attributes: [.posixPermissions: 0o600])
        else { throw LedgerError(.invalidArgument, "cannot write \(urlFile)") }
        let pidFile = directory.appendingPathComponent("pid").path
        let logFile = directory.appendingPathComponent("log").path
        let command = "echo $$ > \(ShellCommand.quote(pidFile)); DATABASE_URL=\"$(cat \(ShellCommand.quote(urlFile)))\" exec "
            + "\(ShellCommand.quote(executable)) serve --listen 127.0.0.1:0 --redis off --deploy-rate-limit off --log-level error 2> \(ShellCommand.quote(logFile))"
        let exit = ExitStatus()
        // Not awaited: it waits for the child and records how it ended, which `stop()` (and the
        // loop below) read; the child lives exactly as long as this task.
        Task { exit.set((try? await ShellCommand.run(command)) ?? -1) }
        let clock = ContinuousClock()
        let giveUp = clock.now + deadline
        while clock.now < giveUp {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if let port = Self.port(in: log), let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ pid_t($0.trimmed) }) {
                try? FileManager.default.removeItem(atPath: urlFile)
                return ServedGateway(pid: pid, url: "http://127.0.0.1:\(port)", exit: exit, directory: directory)
            }
            if let status = exit.status {
                try? FileManager.default.removeItem(at: directory)
                throw LedgerError(.unavailable, "ledger serve ended (status \(status)) before it listened: \(log.suffix(600))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ pid_t($0.trimmed) }) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
        throw LedgerError(.timedOut, "ledger serve did not listen within \(deadline)")
    }

    /// The port in serve's "HTTP API on http://HOST:PORT/api/v1" line.
    static func port(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("HTTP API on http://") }),
            let address = line.split(separator: "//").last?.split(separator: "/").first, let colon = address.lastIndex(of: ":")
        else { return nil }
        return Int(address[address.index(after: colon)...])
    }

    /// The server's peak resident set so far (VmHWM), in MB.
    func peakResidentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return (Wrk.number(after: "VmHWM:", in: status) ?? 0) / 1_024
    }

    /// Stops the server as an operator would (SIGTERM), and kills it if it has not ended
    /// within its grace period and a few seconds more.
    func stop() async {
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(15)
        while exit.status == nil, clock.now < giveUp { try? await Task.sleep(for: .milliseconds(50)) }
        if exit.status == nil { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The child's exit status, once its shell has been waited for.
private final class ExitStatus: Sendable {
    private let value = Mutex<Int32?>(nil)
    func set(_ status: Int32) { value.withLock { $0 = status } }
    var status: Int32? { value.withLock { $0 } }
}

private extension String {
    var trimmed: String { filter { !$0.isWhitespace } }
}
