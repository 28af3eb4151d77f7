#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `/bin/sh -c command` and returns its exit status. The wait happens on a thread of its
/// own: Foundation's `Process.waitUntilExit()` was seen to hang inside Swift Testing on Linux.
public func runShellCommand(_ command: String) async throws -> Int32 {
    var pid: pid_t = 0
    let arguments = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
    guard spawned == 0 else { throw ShellCommandFailed(errno: spawned) }
    return await withCheckedContinuation { continuation in
        var thread = pthread_t()
        let box = Unmanaged.passRetained(WaitRequest(pid: pid, continuation: continuation)).toOpaque()
        pthread_create(&thread, nil, { raw in
            let request = Unmanaged<WaitRequest>.fromOpaque(raw!).takeRetainedValue()
            var status: Int32 = 0
            while waitpid(request.pid, &status, 0) == -1 && errno == EINTR {}
            request.continuation.resume(returning: (status >> 8) & 0xFF)
            return nil
        }, box)
        pthread_detach(thread)
    }
}

/// `posix_spawn` refused to start the shell.
public struct ShellCommandFailed: Error {
    public var errno: Int32
}

private final class WaitRequest {
    let pid: pid_t
    let continuation: CheckedContinuation<Int32, Never>
    init(pid: pid_t, continuation: CheckedContinuation<Int32, Never>) {
        self.pid = pid
        self.continuation = continuation
    }
}
