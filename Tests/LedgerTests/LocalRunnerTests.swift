import ChildProcess
import Executors
import Foundation
import LedgerTestSupport
import Testing

/// The local runner: the same process group, streaming and stop as the SSH runner, on this machine.
@Suite struct LocalRunnerTests {
    @Test func aCommandStreamsBothOutputsAndItsExitStatusDecides() async throws {
        let collected = Collected()
        let outcome = try await LocalRunner(workingDirectory: "/tmp").run("pwd; echo oops >&2; exit 4", timeout: .seconds(20), stop: StopSwitch()) {
            collected.add($0)
        }
        #expect(outcome.exitStatus == 4)
        #expect(collected.text(.stdout) == "/tmp\n")
        #expect(collected.text(.stderr) == "oops\n")
        #expect(outcome.processGroup != nil)
    }

    @Test func stoppingKillsTheWholeProcessGroupEvenWhenItIgnoresTerm() async throws {
        let stop = StopSwitch(grace: .seconds(1))
        let collected = Collected()
        async let outcome = LocalRunner(workingDirectory: "/tmp").run("trap '' TERM; sleep 300 & echo started; wait", timeout: .seconds(60), stop: stop) {
            collected.add($0)
        }
        try await waitUntil("the command started", within: .seconds(10)) { collected.text(.stdout).contains("started") }
        stop.pull()
        let result = try await outcome
        let group = try #require(result.processGroup)
        #expect(result.stop?.signal == "KILL")
        #expect(try await processGroupIsGone(group), "the process group is gone")
    }

    @Test func aGroupThatHonoursTermStopsWithoutKill() async throws {
        let stop = StopSwitch(grace: .seconds(5))
        let collected = Collected()
        async let outcome = LocalRunner(workingDirectory: "/tmp").run("sleep 300 & echo started; wait", timeout: .seconds(60), stop: stop) {
            collected.add($0)
        }
        try await waitUntil("the command started", within: .seconds(10)) { collected.text(.stdout).contains("started") }
        stop.pull()
        let result = try await outcome
        #expect(result.stop?.signal == "TERM")
        #expect((result.stop?.elapsedMs ?? 10_000) < 5_000)
        #expect(try await processGroupIsGone(try #require(result.processGroup)))
    }

    @Test func aCommandPastItsTimeoutIsStoppedAndSaysSo() async throws {
        let result = try await LocalRunner(workingDirectory: "/tmp").run("sleep 30", timeout: .milliseconds(300), stop: StopSwitch(grace: .seconds(1))) { _ in }
        #expect(result.timedOut)
        #expect(!result.succeeded)
    }
}
