import Foundation
import Ledger
import LedgerDomain
import Synchronization

/// Turns a command's output into log lines: split at newlines per stream, bytes that are not
/// UTF-8 replaced (U+FFFD) rather than dropped, a huge line cut with a marker saying how much
/// was cut. Lines wait here until the worker takes them as one batch — so a chatty build
/// writes one event per batch, not one per line.
final class LogBatcher: Sendable {
    /// Longer lines are cut to this many bytes.
    static let maximumLineBytes = 8_192

    private struct State {
        var partial: [OutputChunk.Stream: [UInt8]] = [:]
        var lines: [LogLine] = []
        var step: DeploymentStep?
    }

    private let state = Mutex(State())

    /// The step later lines belong to.
    func begin(step: DeploymentStep) {
        state.withLock { $0.step = step }
    }

    func add(_ chunk: OutputChunk) {
        state.withLock { state in
            var pending = state.partial[chunk.stream, default: []]
            pending += chunk.bytes
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                state.lines.append(Self.line(pending[start..<newline], stream: chunk.stream, step: state.step))
                start = newline + 1
            }
            pending.removeFirst(start)
            // A line with no end in sight is cut now rather than held without bound.
            if pending.count > Self.maximumLineBytes * 4 {
                state.lines.append(Self.line(pending[...], stream: chunk.stream, step: state.step))
                pending = []
            }
            state.partial[chunk.stream] = pending
        }
    }

    /// Ends the partial lines (the command finished).
    func flushPartialLines() {
        state.withLock { state in
            for (stream, bytes) in state.partial where !bytes.isEmpty {
                state.lines.append(Self.line(bytes[...], stream: stream, step: state.step))
            }
            state.partial = [:]
        }
    }

    /// Takes up to `limit` waiting lines.
    func take(limit: Int) -> [LogLine] {
        state.withLock { state in
            let taken = Array(state.lines.prefix(limit))
            state.lines.removeFirst(taken.count)
            return taken
        }
    }

    var waiting: Int { state.withLock { $0.lines.count } }

    /// Adds a line of the worker's own (what it ran, why it retries).
    func note(_ level: LogLevel, _ message: String) {
        state.withLock { state in
            state.lines.append(LogLine(level: level, step: state.step, message: message, atMicroseconds: Self.now()))
        }
    }

    private static func line(_ bytes: ArraySlice<UInt8>, stream: OutputChunk.Stream, step: DeploymentStep?) -> LogLine {
        var body = bytes
        if body.last == 0x0D { body = body.dropLast() }
        // NUL cannot be stored in PostgreSQL text: shown as U+FFFD like any unreadable byte.
        if body.contains(0) { body = ArraySlice(body.flatMap { $0 == 0 ? [0xEF, 0xBF, 0xBD] : [$0] }) }
        let message: String
        if body.count > maximumLineBytes {
            message = String(decoding: body.prefix(maximumLineBytes), as: UTF8.self) + " …[truncated \(body.count - maximumLineBytes) bytes]"
        } else {
            message = String(decoding: body, as: UTF8.self)
        }
        return LogLine(level: stream == .stdout ? .info : .warning, step: step, message: message, atMicroseconds: now())
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}
