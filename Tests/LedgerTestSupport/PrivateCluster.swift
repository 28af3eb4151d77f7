import ChildProcess
import Foundation
import Ledger
import LoopbackSSH

/// A PostgreSQL cluster of one test's own, on a free port under a temporary directory, that the
/// test may crash (`pg_ctl stop -m immediate`) and start again without disturbing the tests that
/// share `make test`'s server. Made with the machine's `initdb`; as root it runs as `postgres`.
public struct PrivateCluster: Sendable {
    public let directory: String
    public let port: Int
    let bin: String

    /// The `ledger` database on this cluster (created by the first `ledger` command or ``createDatabase()``).
    public var url: DatabaseURL { DatabaseURL(username: "ledger", host: "127.0.0.1", port: port, database: "ledger") }

    /// Creates and starts a new cluster; `stop(removing:)` it when done.
    public static func start() async throws -> PrivateCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cluster-\(UUID().uuidString.prefix(8))").path
        let cluster = PrivateCluster(directory: directory, port: try freePort(), bin: try serverBinaries())
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await ShellCommand.run("chmod 755 \(q(directory))")
        if getuid() == 0 { _ = try await ShellCommand.run("chown postgres \(q(directory))") }
        let initdb = try await cluster.asOwner("\(q(cluster.bin + "/initdb")) -D \(q(directory + "/data")) -U ledger --auth=trust --no-sync > \(q(directory + "/initdb.log")) 2>&1")
        guard initdb == 0 else { throw LedgerError(.database, "initdb failed; see \(directory)/initdb.log") }
        try await cluster.startServer()
        return cluster
    }

    /// Starts the server (again), waiting until it accepts connections.
    public func startServer() async throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        let status = try await asOwner(
            "\(q(bin + "/pg_ctl")) -D \(q(directory + "/data")) -l \(q(directory + "/server.log")) -o \(q(options)) -w -t 60 start > /dev/null 2>&1")
        guard status == 0 else { throw LedgerError(.database, "the private cluster did not start; see \(directory)/server.log") }
    }

    /// Kills the server as a crash would: no shutdown checkpoint, every connection dropped.
    public func crash() async throws {
        _ = try await asOwner("\(q(bin + "/pg_ctl")) -D \(q(directory + "/data")) -m immediate -w stop > /dev/null 2>&1")
    }

    /// Stops the server and removes the cluster.
    public func stop() async {
        _ = try? await asOwner("\(q(bin + "/pg_ctl")) -D \(q(directory + "/data")) -m immediate -w stop > /dev/null 2>&1")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with the cluster, stopping it afterwards whatever happens.
    public static func with<T: Sendable>(_ body: (PrivateCluster) async throws -> T) async throws -> T {
        let cluster = try await start()
        do {
            let result = try await body(cluster)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }

    private func asOwner(_ command: String) async throws -> Int32 {
        try await ShellCommand.run(getuid() == 0 ? "runuser -u postgres -- /bin/sh -c \(q(command))" : command)
    }

    static func freePort() throws -> Int { try LoopbackSSH.freePort() }

    private static func serverBinaries() throws -> String {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") && FileManager.default.isExecutableFile(atPath: $0 + "/initdb") })
        else { throw LedgerError(.notFound, "initdb/pg_ctl not found: apt-get install -y postgresql") }
        return found
    }
}

private func q(_ word: String) -> String { ShellCommand.quote(word) }
