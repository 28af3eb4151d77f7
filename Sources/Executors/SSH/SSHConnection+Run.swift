import CSSH2
import Foundation
import Glibc
import Ledger

extension SSHConnection {
    public func run(
        _ command: String, timeout: Duration, stop: StopSwitch, output: @escaping @Sendable (OutputChunk) -> Void
    ) async throws -> CommandOutcome {
        try await withTaskCancellationHandler {
            try await Self.onQueue(queue) { try self.runOnQueue(command, timeout: timeout, stop: stop, output: output) }
        } onCancel: {
            stop.pull()
        }
    }

    /// The read loop: drains stdout and stderr as they come, sends keepalives, and on a stop or
    /// timeout runs the group kill over a second channel of the same connection.
    private func runOnQueue(
        _ command: String, timeout: Duration, stop: StopSwitch, output: @Sendable (OutputChunk) -> Void
    ) throws -> CommandOutcome {
        let started = ContinuousClock.now
        let channel = try openChannel(deadline: started + target.connectTimeout)
        defer { libssh2_channel_free(channel) }
        let wrapped = ProcessGroupWrapper.wrap(command)
        try Self.retry(session, socket, started + target.connectTimeout, "starting the command on \(target.host)") {
            libssh2_channel_process_startup(channel, "exec", 4, wrapped, UInt32(wrapped.utf8.count))
        }
        var marker = ProcessGroupWrapper.MarkerReader()
        var buffer = [UInt8](repeating: 0, count: 32_768)
        var report: StopReport?
        var ladder = StopLadder(stop)
        var timedOut = false
        let deadline = started + timeout
        reading: while true {
            let moved = try readAvailable(channel, into: &buffer, marker: &marker, output: output)
            if libssh2_channel_eof(channel) == 1 { break }
            switch ladder.tick(at: .now, stopWanted: stop.isPulled || ContinuousClock.now >= deadline) {
            case .terminate:
                timedOut = !stop.isPulled
                report = try stopGroup(marker.processGroup, grace: stop.grace, since: .now)
            case .giveUpWaiting:
                // The group was stopped, yet the channel stays open: something left the group
                // (setsid) and holds the output. Stop waiting for it, and say so.
                report?.escaped = true
                report?.escapedProcesses = (try? escapedProcesses(holding: marker.output)) ?? []
                report?.elapsedMs = ladder.stopAskedAt.map { $0.duration(to: .now).wholeMilliseconds } ?? 0
                break reading
            // TERM then KILL ran host-side, in `stopGroup`.
            case .kill, .none: break
            }
            var next: Int32 = 0
            libssh2_keepalive_send(session, &next)
            if !moved { Self.waitForSocket(session, socket, deadline: .now + .milliseconds(200), atMost: 200) }
        }
        let rest = marker.finish()
        if !rest.isEmpty { output(OutputChunk(.stderr, rest)) }
        let closing = ContinuousClock.now + .seconds(5)
        try? Self.retry(session, socket, closing, "closing the channel") { libssh2_channel_close(channel) }
        try? Self.retry(session, socket, closing, "closing the channel") { libssh2_channel_wait_closed(channel) }
        let signal = exitSignal(channel)
        return CommandOutcome(
            exitStatus: signal == nil && report == nil ? libssh2_channel_get_exit_status(channel) : nil,
            signal: signal ?? report?.signal, processGroup: marker.processGroup, stop: report, timedOut: timedOut,
            duration: started.duration(to: .now))
    }

    /// Reads whatever stdout and stderr hold now (stderr through the process-group marker);
    /// true if anything came.
    private func readAvailable(
        _ channel: OpaquePointer, into buffer: inout [UInt8], marker: inout ProcessGroupWrapper.MarkerReader, output: @Sendable (OutputChunk) -> Void
    ) throws -> Bool {
        var moved = false
        for stream in [Int32(0), SSH_EXTENDED_DATA_STDERR] {
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in
                    libssh2_channel_read_ex(channel, stream, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if count == Int(LIBSSH2_ERROR_EAGAIN) || count == 0 { break }
                guard count > 0 else {
                    throw SSHError(.protocolFailed, "lost the connection to \(target.host) while running a step: \(lastError())")
                }
                moved = true
                let bytes = Array(buffer[..<count])
                if stream == 0 {
                    output(OutputChunk(.stdout, bytes))
                } else {
                    let passed = marker.feed(bytes)
                    if !passed.isEmpty { output(OutputChunk(.stderr, passed)) }
                }
            }
        }
        return moved
    }

    /// TERM to the whole group, then KILL once the grace period is over, run host-side in one
    /// short script over a second channel: its exit status says whether KILL was needed.
    private func stopGroup(_ group: Int32?, grace: Duration, since: ContinuousClock.Instant) throws -> StopReport {
        guard let group, group > 1 else {
            // The command has not even reported its group yet: closing the channel is all we can do.
            return StopReport(processGroup: nil, signal: "none", elapsedMs: 0)
        }
        // Zombies (members that died but whose adopter has not reaped them yet) do not count as alive.
        let alive = "{ if command -v ps >/dev/null 2>&1; then ps -eo pgid=,stat= | awk '$1==\(group) && $2 !~ /^Z/ {f=1} END {exit !f}'; "
            + "else kill -0 -\(group) 2>/dev/null; fi; }"
        // The grace period is timed by a sleep of its own, not by counting polls: on a loaded
        // host one `ps` can take most of a second, and twenty of them outlasted the deadline.
        let milliseconds = max(100, grace.wholeMilliseconds)
        let seconds = "\(milliseconds / 1_000).\(String(format: "%03d", milliseconds % 1_000))"
        let script = "kill -TERM -\(group) 2>/dev/null || exit 0; sleep \(seconds) & timer=$!; while kill -0 $timer 2>/dev/null; do "
            + "\(alive) || { kill $timer 2>/dev/null; exit 0; }; sleep 0.1; done; kill -KILL -\(group) 2>/dev/null; exit 9"
        let status = try runShort(script, deadline: .now + grace + .seconds(10))
        return StopReport(processGroup: group, signal: status == 9 ? "KILL" : "TERM", elapsedMs: since.duration(to: .now).wholeMilliseconds)
    }

    /// `pid command` of the processes on the host that hold `pipe` (the step's stdout, as its
    /// marker named it): what escaped a stopped step's group. At most 20.
    private func escapedProcesses(holding pipe: String?) throws -> [String] {
        guard let pipe, pipe.hasPrefix("pipe:["), pipe.dropFirst(6).dropLast().allSatisfy(\.isNumber) else { return [] }
        var text = ""
        let script = "for d in /proc/[0-9]*; do for f in \"$d\"/fd/*; do if [ \"$(readlink \"$f\" 2>/dev/null)\" = '\(pipe)' ]; then "
            + "echo \"${d#/proc/} $(tr '\\0' ' ' < \"$d/cmdline\" 2>/dev/null | cut -c1-200)\"; break; fi; done; done 2>/dev/null | grep -v '^[0-9]* sshd' | head -20"
        _ = try runShort(script, deadline: .now + .seconds(10)) { text += String(decoding: $0, as: UTF8.self) }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Runs a short helper command to its end and returns its exit status (output discarded).
    private func runShort(_ command: String, deadline: ContinuousClock.Instant, output: (([UInt8]) -> Void)? = nil) throws -> Int32 {
        let channel = try openChannel(deadline: deadline)
        defer { libssh2_channel_free(channel) }
        try Self.retry(session, socket, deadline, "a stop command on \(target.host)") {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        var sink = [UInt8](repeating: 0, count: 4_096)
        while libssh2_channel_eof(channel) != 1 {
            guard ContinuousClock.now < deadline else { throw SSHError(.protocolFailed, "a stop command on \(target.host) timed out") }
            let count = sink.withUnsafeMutableBytes { libssh2_channel_read_ex(channel, 0, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
            if count > 0 { output?(Array(sink[..<count])) }
            if count == Int(LIBSSH2_ERROR_EAGAIN) { Self.waitForSocket(session, socket, deadline: deadline, atMost: 100) }
            else if count < 0 { throw SSHError(.protocolFailed, "lost the connection to \(target.host): \(lastError())") }
        }
        try Self.retry(session, socket, deadline, "closing the stop channel") { libssh2_channel_close(channel) }
        try Self.retry(session, socket, deadline, "closing the stop channel") { libssh2_channel_wait_closed(channel) }
        return libssh2_channel_get_exit_status(channel)
    }

    private func openChannel(deadline: ContinuousClock.Instant) throws -> OpaquePointer {
        while true {
            if let channel = libssh2_channel_open_ex(
                session, "session", 7, UInt32(2 * 1_024 * 1_024), 32_768, nil, 0)
            {
                return channel
            }
            guard libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN else {
                throw SSHError(.protocolFailed, "cannot open a channel to \(target.host): \(lastError())")
            }
            guard ContinuousClock.now < deadline else { throw SSHError(.protocolFailed, "opening a channel to \(target.host) timed out") }
            Self.waitForSocket(session, socket, deadline: deadline, atMost: 200)
        }
    }

    private func exitSignal(_ channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var length = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil) == 0, let name else { return nil }
        defer { free(name) }
        return String(cString: name)
    }
}
