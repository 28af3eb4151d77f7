import ChildProcess
import Foundation
import Ledger

/// A local git repository of a tiny web application, for deployments that really run: each
/// version serves `public/index.html` with Python's http.server on `$PORT`; a broken version
/// exits at start, so its health check fails.
public struct SampleApp: Sendable {
    public let repository: String

    /// Creates the repository under `directory` with one commit per version; returns it and the commits.
    public static func create(in directory: String, versions: [(name: String, healthy: Bool)]) async throws -> (SampleApp, [String]) {
        let repository = directory + "/sample-app"
        try FileManager.default.createDirectory(atPath: repository + "/public", withIntermediateDirectories: true)
        guard try await ShellCommand.run("git init -q -b main \(ShellCommand.quote(repository))") == 0 else {
            throw LedgerError(.invalidArgument, "git init failed")
        }
        let app = SampleApp(repository: repository)
        var commits: [String] = []
        for version in versions { commits.append(try await app.commit(version.name, healthy: version.healthy, scratch: directory)) }
        return (app, commits)
    }

    /// Commits one more version on the current branch (a push to it); returns the commit.
    public func commit(_ name: String, healthy: Bool, scratch directory: String) async throws -> String {
        let git = "git -C \(ShellCommand.quote(repository)) -c user.name=ledger -c user.email=ledger@localhost"
        let start = healthy
            ? "#!/bin/sh\nexec python3 -m http.server \"$PORT\" --bind 127.0.0.1 --directory public\n"
            : "#!/bin/sh\necho 'this version is broken' >&2\nexit 1\n"
        try start.write(toFile: repository + "/start.sh", atomically: true, encoding: .utf8)
        try "\(name)\n".write(toFile: repository + "/public/index.html", atomically: true, encoding: .utf8)
        let out = directory + "/commit.txt"
        let status = try await ShellCommand.run(
            "chmod +x \(ShellCommand.quote(repository + "/start.sh")) && \(git) add -A && \(git) commit -q -m \(ShellCommand.quote(name)) "
                + "&& \(git) rev-parse HEAD > \(ShellCommand.quote(out))")
        guard status == 0 else { throw LedgerError(.invalidArgument, "git commit failed") }
        return try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the application on `port` serves at `/`, or nil when nothing answers.
    public static func fetch(port: Int, into directory: String) async throws -> String? {
        let out = directory + "/fetched.txt"
        guard try await ShellCommand.run("curl -sf --max-time 3 http://127.0.0.1:\(port)/ > \(ShellCommand.quote(out))") == 0 else { return nil }
        return try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the application a deployment started (its process group, from the pid file).
    public static func stop(deployPath: String) async {
        _ = try? await ShellCommand.run("[ -f \(deployPath)/shared/app.pid ] && kill -KILL -$(cat \(deployPath)/shared/app.pid) 2>/dev/null")
    }

    /// A free TCP port on loopback.
    public static func freePort() throws -> Int { try PrivateCluster.freePort() }
}
