#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs shell commands from async code: `/bin/sh -c COMMAND`, waited for on a thread of its
/// own so no cooperative thread blocks. (Foundation's `Process.waitUntilExit()` was seen to hang
/// inside async tests on Linux.) Used for PostgreSQL's own tools: initdb, pg_ctl, pgbench, psql.
public enum ShellCommand {
    /// Runs `command` and returns its exit status (128 + signal number if a signal ended it).
    public static func run(_ command: String) async throws -> Int32 {
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Only 0–2 are inherited: a server started this way (PostgreSQL, Redis) must not hold
        // the service's sockets after the service is gone.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        ChildEnvironment.closeInherited(&actions)
        // A command that ignores SIGPIPE itself (as `ledger` does) must not pass that on.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var pipe = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &pipe)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw ShellCommandFailed(code: spawned) }
        return await withCheckedContinuation { continuation in
            var thread = pthread_t()
            let request = Unmanaged.passRetained(WaitRequest(pid: pid, continuation: continuation)).toOpaque()
            pthread_create(&thread, nil, { raw in
                let request = Unmanaged<WaitRequest>.fromOpaque(raw!).takeRetainedValue()
                var status: Int32 = 0
                while waitpid(request.pid, &status, 0) == -1 && errno == EINTR {}
                let exited = (status & 0x7F) == 0
                request.continuation.resume(returning: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
                return nil
            }, request)
            pthread_detach(thread)
        }
    }

    /// Quotes `word` for `/bin/sh`, so paths and arguments with spaces or quotes pass intact.
    public static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// `posix_spawn` could not start the shell.
public struct ShellCommandFailed: Error, CustomStringConvertible {
    public var code: Int32
    public var description: String { "could not start /bin/sh (error \(code))" }
}

private final class WaitRequest {
    let pid: pid_t
    let continuation: CheckedContinuation<Int32, Never>
    init(pid: pid_t, continuation: CheckedContinuation<Int32, Never>) {
        self.pid = pid
        self.continuation = continuation
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
