import ChildProcess
import Executors
import Foundation
import LedgerTestSupport
import Synchronization
import Testing

/// The SSH runner against a real sshd on loopback: pinned host keys, streamed output, exit
/// statuses, and stops that reach the whole process group on the host.
@Suite(.serialized)
struct SSHRunnerTests {
    @Test func theFingerprintWeReadIsTheOneOpenSSHPrints() async throws {
        let server = try await SSHServer.start()
        defer { Task { await server.stop() } }
        let key = try await SSHConnection.hostKey(host: "127.0.0.1", port: server.port)
        #expect(key.type == "ssh-ed25519")
        #expect(key.fingerprint == (try await server.hostKeyFingerprint()))
    }

    @Test func aLoopbackServerWhosePortIsTakenStartsOnAnotherOne() async throws {
        // Another process listens on the port first.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(holder, $0, length) == 0 && listen(holder, 8) == 0 && getsockname(holder, $0, &length) == 0
            }
        }
        try #require(listening)
        let taken = Int(UInt16(bigEndian: address.sin_port))
        let server = try await SSHServer.start(port: taken)
        defer { Task { await server.stop() } }
        #expect(server.port != taken)
        let key = try await SSHConnection.hostKey(host: "127.0.0.1", port: server.port)
        #expect(key.fingerprint == (try await server.hostKeyFingerprint()))
    }

    @Test func aCommandStreamsBothOutputsAndItsExitStatusDecides() async throws {
        let server = try await SSHServer.start()
        defer { Task { await server.stop() } }
        let connection = try await SSHConnection.connect(try await target(server))
        let collected = Collected()
        let outcome = try await connection.run("echo hello; echo oops >&2; exit 3", timeout: .seconds(20), stop: StopSwitch()) { collected.add($0) }
        #expect(outcome.exitStatus == 3)
        #expect(!outcome.succeeded)
        #expect(collected.text(.stdout) == "hello\n")
        #expect(collected.text(.stderr) == "oops\n")
        #expect(outcome.processGroup != nil)
        // The same connection serves the next step.
        let second = try await connection.run("true", timeout: .seconds(20), stop: StopSwitch()) { _ in }
        #expect(second.succeeded)
        await connection.close()
    }

    @Test func aHostShowingAnotherKeyIsRefusedBeforeAnythingRuns() async throws {
        let server = try await SSHServer.start()
        defer { Task { await server.stop() } }
        let pinned = try await target(server)
        try await server.changeHostKey()
        await #expect(throws: SSHError.self) {
            do { _ = try await SSHConnection.connect(pinned) } catch let error as SSHError {
                #expect(error.code == .hostKeyMismatch)
                #expect(error.message.contains("nothing was run"))
                throw error
            }
        }
    }

    @Test func aKeyReadableByOthersIsRefused() async throws {
        let server = try await SSHServer.start()
        defer { Task { await server.stop() } }
        _ = try await ShellCommand.run("chmod 644 \(server.privateKeyPath)")
        await #expect(throws: SSHError.self) { _ = try await SSHConnection.connect(try await target(server)) }
    }

    @Test func stoppingAStepKillsItsWholeProcessGroupOnTheHost() async throws {
        let server = try await SSHServer.start()
        defer { Task { await server.stop() } }
        let connection = try await SSHConnection.connect(try await target(server))
        let stop = StopSwitch(grace: .seconds(2))
        let collected = Collected()
        // A shell that ignores TERM, with a child: KILL must follow after the grace period.
        async let outcome = connection.run("trap '' TERM; sleep 300 & echo started; wait", timeout: .seconds(60), stop: stop) { collected.add($0) }
        try await waitUntil("the step started", within: .seconds(10)) { collected.text(.stdout).contains("started") }
        stop.pull()
        let result = try await outcome
        let group = try #require(result.processGroup)
        #expect(result.stop?.signal == "KILL")
        #expect(result.stop?.processGroup == group)
        #expect(try await processGroupIsGone(group), "the process group is gone")
        await connection.close()
    }

    private func target(_ server: SSHServer) async throws -> SSHTarget {
        SSHTarget(
            host: "127.0.0.1", port: server.port, user: server.user, privateKeyPath: server.privateKeyPath,
            hostKeyFingerprint: try await SSHConnection.hostKey(host: "127.0.0.1", port: server.port).fingerprint)
    }
}

/// Output chunks gathered from a runner's callback.
final class Collected: Sendable {
    private let chunks = Mutex<[OutputChunk]>([])
    func add(_ chunk: OutputChunk) { chunks.withLock { $0.append(chunk) } }
    func text(_ stream: OutputChunk.Stream) -> String {
        chunks.withLock { String(decoding: $0.filter { $0.stream == stream }.flatMap(\.bytes), as: UTF8.self) }
    }
}
