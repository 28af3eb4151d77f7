import ChildProcess
import Dispatch
import Foundation
import Glibc
import Ledger

/// Runs steps as processes on this machine, for development and `make run`: the same process
/// group, output streaming and TERM-then-KILL stop as the SSH runner, without a network. A step
/// starts clean: descriptors 0–2 only, and an environment of PATH, HOME, LANG and the like.
public struct LocalRunner: CommandRunner {
    /// The directory commands start in.
    public var workingDirectory: String

    public init(workingDirectory: String) { self.workingDirectory = workingDirectory }

    public func run(
        _ command: String, timeout: Duration, stop: StopSwitch, output: @escaping @Sendable (OutputChunk) -> Void
    ) async throws -> CommandOutcome {
        let wrapped = "cd \(ShellCommand.quote(workingDirectory)) && " + ProcessGroupWrapper.wrap(command)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue(label: "ledger.local-runner").async {
                    continuation.resume(with: Result { try Self.runBlocking(wrapped, timeout: timeout, stop: stop, output: output) })
                }
            }
        } onCancel: {
            stop.pull()
        }
    }

    public func close() async {}

    /// What every step's shell gets as its environment (``ChildEnvironment/minimal(adding:)``).
    static let environment = ChildEnvironment.minimal()

    private static func runBlocking(
        _ command: String, timeout: Duration, stop: StopSwitch, output: @Sendable (OutputChunk) -> Void
    ) throws -> CommandOutcome {
        let started = ContinuousClock.now
        let shell = try SpawnedShell(command)
        defer { shell.closeOutput() }
        var marker = ProcessGroupWrapper.MarkerReader()
        var ladder = StopLadder(stop)
        var timedOut = false
        let escaped = pump(shell, until: started + timeout, stop: stop, ladder: &ladder, marker: &marker, timedOut: &timedOut, output: output)
        let rest = marker.finish()
        if !rest.isEmpty { output(OutputChunk(.stderr, rest)) }
        let status = reap(shell, group: marker.processGroup, ladder: &ladder)
        let report = ladder.stopAskedAt.map {
            StopReport(
                processGroup: marker.processGroup, signal: ladder.signal, elapsedMs: $0.duration(to: .now).wholeMilliseconds, escaped: escaped != nil,
                escapedProcesses: escaped ?? [])
        }
        let exited = (status & 0x7F) == 0
        return CommandOutcome(
            exitStatus: report == nil && exited ? (status >> 8) & 0xFF : nil, signal: report?.signal, processGroup: marker.processGroup,
            stop: report, timedOut: timedOut, duration: started.duration(to: .now))
    }

    /// Streams the step's output until both pipes close, stopping its group by the ladder when a
    /// stop is asked or `deadline` passes. Returns what still held the output when the ladder
    /// gave up waiting (the output escaped the group), else nil.
    private static func pump(
        _ shell: SpawnedShell, until deadline: ContinuousClock.Instant, stop: StopSwitch, ladder: inout StopLadder,
        marker: inout ProcessGroupWrapper.MarkerReader, timedOut: inout Bool, output: @Sendable (OutputChunk) -> Void
    ) -> [String]? {
        var open: [Int32: OutputChunk.Stream] = [shell.stdout: .stdout, shell.stderr: .stderr]
        var buffer = [UInt8](repeating: 0, count: 32_768)
        while !open.isEmpty {
            var descriptors = open.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&descriptors, nfds_t(descriptors.count), 100)
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                guard count > 0 else {
                    open[descriptor.fd] = nil
                    continue
                }
                let bytes = Array(buffer[..<count])
                if open[descriptor.fd] == .stdout {
                    output(OutputChunk(.stdout, bytes))
                } else {
                    let passed = marker.feed(bytes)
                    if !passed.isEmpty { output(OutputChunk(.stderr, passed)) }
                }
            }
            guard let group = marker.processGroup else { continue }
            switch ladder.tick(at: .now, stopWanted: stop.isPulled || ContinuousClock.now >= deadline) {
            case .terminate:
                timedOut = !stop.isPulled
                kill(-group, SIGTERM)
            case .kill: kill(-group, SIGKILL)
            // The group is gone, yet its output is still held: by a process that left it.
            case .giveUpWaiting: return processes(holding: Array(open.keys))
            case .none: break
            }
        }
        return nil
    }

    /// Waits for the shell's exit status; after a stop, also until no member of the group is
    /// left (output closed, yet one may live on without it), KILLing it when the grace period ends.
    private static func reap(_ shell: SpawnedShell, group: Int32?, ladder: inout StopLadder) -> Int32 {
        var status: Int32 = 0
        var reaped = false
        if ladder.stopAskedAt != nil, let group {
            while isAlive(group: group) {
                if !reaped, waitpid(shell.pid, &status, WNOHANG) == shell.pid { reaped = true }
                if ladder.tick(at: .now, stopWanted: true) == .kill { kill(-group, SIGKILL) }
                usleep(20_000)
            }
        }
        while !reaped && waitpid(shell.pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }
}

/// `/bin/sh -c COMMAND` started clean: stdin from /dev/null, stdout and stderr on pipes, no other
/// descriptor of the service, default signal handling, and an environment without its secrets.
private struct SpawnedShell {
    let pid: pid_t
    /// The read ends of the step's stdout and stderr.
    let stdout: Int32
    let stderr: Int32

    init(_ command: String) throws {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe2(&outPipe, O_CLOEXEC) == 0, pipe2(&errPipe, O_CLOEXEC) == 0 else {
            throw SSHError(.protocolFailed, "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Nothing but 0–2 reaches the step: not another runner's pipe, not the service's
        // database connections or listening socket (an application the step starts would
        // otherwise hold them after the service is gone).
        ChildEnvironment.closeInherited(&actions)
        // The step gets default signal handling and an empty mask: a service that ignores TERM
        // to handle it itself (as a ServiceGroup does) would otherwise pass that on, and a stop's
        // TERM would reach a group that ignores it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // An explicit environment: PATH, HOME, LANG and the like, never the service's secrets.
        let spawned = ChildEnvironment.withCArray(LocalRunner.environment) { posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, $0) }
        Glibc.close(outPipe[1])
        Glibc.close(errPipe[1])
        guard spawned == 0 else {
            Glibc.close(outPipe[0])
            Glibc.close(errPipe[0])
            throw SSHError(.protocolFailed, "cannot start /bin/sh: \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        stdout = outPipe[0]
        stderr = errPipe[0]
    }

    func closeOutput() {
        Glibc.close(stdout)
        Glibc.close(stderr)
    }
}

extension LocalRunner {
    /// `pid command` of every process holding the other end of one of these pipes (read ends
    /// of this process): found by the pipe's inode among every process's descriptors.
    static func processes(holding pipes: [Int32]) -> [String] {
        let inodes = Set(pipes.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") })
        let me = String(getpid())
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.first?.isNumber == true && entry != me {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")) ?? []
            let holds = descriptors.contains { inodes.contains((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\($0)")) ?? "") }
            guard holds else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ") ?? "?"
            found.append("\(entry) \(command.trimmingCharacters(in: .whitespaces).prefix(200))")
        }
        return found.sorted()
    }

    /// Whether any process of the group still runs (zombies, which only wait to be reaped by
    /// whoever adopted them, do not count).
    static func isAlive(group: Int32) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return kill(-group, 0) == 0 }
        for entry in entries where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (command) ": state, parent, process group, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, Int32(fields[2]) == group, fields[0] != "Z" { return true }
        }
        return false
    }
}

/// glibc's `pipe2`, which Glibc's module hides behind `_GNU_SOURCE`: pipes created already
/// close-on-exec, with no window in which a process spawned by another thread inherits them.
@_silgen_name("pipe2")
private func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
