import CommandRuntime
import ChildProcess
import Foundation
import Ledger
import LedgerDomain

/// The application `ledger run --demo` really deploys: a local git repository (under the data
/// directory) of a tiny web page served by Python's http.server. Every demo push is a new
/// commit; every fourth one is broken on purpose, so its health check fails and the executor
/// rolls back to the release that ran before.
struct DemoApplication: Sendable {
    /// Where the demo lives: the repository, the deploy path and the worker's working directory.
    let directory: String
    var repository: String { directory + "/sample-app" }
    var deployPath: String { directory + "/deploy" }

    /// Creates the repository with a first commit, unless it exists.
    func prepare() async throws {
        try FileManager.default.createDirectory(atPath: repository + "/public", withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: repository + "/.git") { return }
        guard try await ShellCommand.run("git init -q -b main \(q(repository))") == 0 else {
            throw LedgerError(.missingDependency, "git init failed in \(repository): the demo needs git")
        }
        _ = try await commit(number: 0)
    }

    /// Commits release `number` (broken when `number` is a multiple of 4) and returns its hash.
    func commit(number: Int) async throws -> (hash: String, message: String, broken: Bool) {
        let broken = number > 0 && number % 4 == 0
        let start = broken
            ? "#!/bin/sh\necho 'release \(number) is broken on purpose: it never starts' >&2\nexit 1\n"
            : "#!/bin/sh\nexec python3 -m http.server \"$PORT\" --bind 127.0.0.1 --directory public\n"
        try start.write(toFile: repository + "/start.sh", atomically: true, encoding: .utf8)
        let page = "<!doctype html><title>Demo shop</title><h1>Demo shop, release \(number)</h1><p>Deployed by the ledger.</p>\n"
        try page.write(toFile: repository + "/public/index.html", atomically: true, encoding: .utf8)
        let message = broken ? "Release \(number) (broken on purpose)" : "Release \(number)"
        let out = directory + "/.last-commit"
        let git = "git -C \(q(repository)) -c user.name=demo -c user.email=demo@localhost"
        let status = try await ShellCommand.run(
            "chmod +x \(q(repository + "/start.sh")) && \(git) add -A && \(git) commit -q --allow-empty -m \(q(message)) && \(git) rev-parse HEAD > \(q(out))")
        guard status == 0 else { throw LedgerError(.missingDependency, "git commit failed in \(repository)") }
        let hash = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (hash, message, broken)
    }

    /// Stops the application a demo deployment started (at the end of `ledger run`).
    func stopApplication() async {
        let pidFile = deployPath + "/apps/shop-staging/shared/app.pid"
        _ = try? await ShellCommand.run("[ -f \(q(pidFile)) ] && kill -TERM -$(cat \(q(pidFile))) 2>/dev/null")
    }

    private func q(_ word: String) -> String { ShellCommand.quote(word) }
}
