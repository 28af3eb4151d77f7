import ChildProcess
import Executors
import Foundation
import Glibc
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

    /// A step (and whatever it starts, such as the application) inherits no descriptor of the
    /// service — here a socket opened without close-on-exec — and none of its secrets.
    @Test func aStepSeesOnlyItsThreeDescriptorsAndNoSecretOfTheService() async throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket > 2)
        defer { Glibc.close(socket) }
        setenv("DATABASE_URL", "postgres://ledger:secret@127.0.0.1/ledger", 1)
        setenv("LEDGER_TOKEN", "ldg_secret_token", 1)
        defer {
            unsetenv("DATABASE_URL")
            unsetenv("LEDGER_TOKEN")
        }
        let collected = Collected()
        // `ls` lists the step shell's descriptors from outside it; a background `sleep` stands
        // for an application the step starts (listed once it runs `sleep`, not the shell's fork,
        // and once the dynamic loader is done: right after exec it briefly holds the libraries
        // it maps open as descriptor 3, which a CI run once caught).
        let outcome = try await LocalRunner(workingDirectory: "/tmp").run(
            """
            echo '[step]'; ls /proc/$$/fd
            sleep 30 & app=$!; i=0
            while [ "$(readlink /proc/$app/exe)" != "$(command -v sleep)" ] && [ $i -lt 500 ]; do i=$((i+1)); sleep 0.01; done
            i=0; while [ "$(cut -d' ' -f3 /proc/$app/stat)" != S ] && [ $i -lt 500 ]; do i=$((i+1)); sleep 0.01; done; sleep 0.2
            echo '[app]'; ls /proc/$app/fd; kill $app; echo '[env]'; env
            """,
            timeout: .seconds(20), stop: StopSwitch()
        ) { collected.add($0) }
        #expect(outcome.exitStatus == 0, "\(collected.text(.stderr))")
        var sections: [String: [String]] = [:]
        var current = ""
        for line in collected.text(.stdout).split(separator: "\n").map(String.init) {
            if line.hasPrefix("[") { current = line } else { sections[current, default: []].append(line) }
        }
        #expect(sections["[step]"] == ["0", "1", "2"], "the step's shell: \(sections["[step]"] ?? [])")
        #expect(sections["[app]"] == ["0", "1", "2"], "what the step starts: \(sections["[app]"] ?? []) \(collected.text(.stderr))")
        let names = Set((sections["[env]"] ?? []).compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(!names.contains("DATABASE_URL") && !names.contains("LEDGER_TOKEN") && !names.contains("PGURL"), "\(names.sorted())")
        #expect(names.isSubset(of: Set(ChildEnvironment.passedOn + ["PWD", "SHLVL", "_", "OLDPWD"])), "\(names.sorted())")
        #expect(names.contains("PATH"))
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
