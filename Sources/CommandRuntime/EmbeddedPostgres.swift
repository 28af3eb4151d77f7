import PostgresNIO
import Logging
import ChildProcess
import Foundation
import Ledger

/// The embedded default: a private PostgreSQL cluster under `.ledger/pg`, created with the
/// machine's own `initdb` and run with its `pg_ctl`. It listens only on a Unix socket in its own
/// directory (no TCP port, nothing to collide with), and is reused by the next start.
package struct EmbeddedPostgres {
    package let directory: URL
    package let port = 5432

    package init(dataDirectory: String) {
        directory = URL(fileURLWithPath: dataDirectory, isDirectory: true).appendingPathComponent("pg").standardizedFileURL
    }

    /// The database the ledger uses inside the cluster.
    package var url: DatabaseURL {
        DatabaseURL(username: "ledger", host: "localhost", port: port, database: "ledger", socketDirectory: socketDirectory)
    }

    /// The socket lives in the cluster directory unless that path is too long for a socket name.
    package var socketDirectory: String {
        let preferred = directory.path
        if preferred.utf8.count + 20 < 100 { return preferred }
        return "/tmp/ledger-pg-\(getuid())-\(UInt32(truncatingIfNeeded: preferred.hashValue))"
    }

    private var isRoot: Bool { getuid() == 0 }

    /// Creates the cluster if needed and starts it unless it is running already.
    /// Returns true when this call started it (and so should stop it).
    package func start(log: (String) -> Void) async throws -> Bool {
        let bin = try Self.serverBinaries()
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("PG_VERSION").path) {
            log("Creating the embedded PostgreSQL cluster in \(directory.path)")
            try await initialise(bin: bin)
        }
        if try await run("\(q(bin + "/pg_ctl")) -D \(q(directory.path)) status") == 0 {
            log("Using the embedded PostgreSQL already running in \(directory.path)")
            return false
        }
        log("Starting the embedded PostgreSQL in \(directory.path)")
        let logFile = directory.appendingPathComponent("server.log").path
        let status = try await run("\(q(bin + "/pg_ctl")) -D \(q(directory.path)) -l \(q(logFile)) -w -t 60 start")
        guard status == 0 else {
            throw LedgerError(.database, "the embedded PostgreSQL did not start; see \(logFile)")
        }
        return true
    }

    /// Stops the cluster (fast shutdown: open sessions are ended, committed data is safe).
    package func stop() async throws {
        let bin = try Self.serverBinaries()
        _ = try await run("\(q(bin + "/pg_ctl")) -D \(q(directory.path)) -m fast -w -t 10 stop")
    }

    private func initialise(bin: String) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if isRoot {
            // PostgreSQL refuses to run as root; the cluster belongs to the `postgres` system user.
            guard try await ShellCommand.run("chown postgres \(q(directory.path))") == 0 else {
                throw LedgerError(.database, "running as root, but there is no `postgres` user to own the cluster")
            }
        }
        let initLog = directory.deletingLastPathComponent().appendingPathComponent("initdb.log").path
        let status = try await run(
            "\(q(bin + "/initdb")) -D \(q(directory.path)) -U ledger --auth=trust --encoding=UTF8", output: initLog)
        guard status == 0 else {
            throw LedgerError(.database, "initdb failed; see \(initLog)")
        }
        let settings = """

            # Written by ledger: reachable only through a Unix socket in this directory.
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            port = \(port)
            max_connections = 200

            """
        let configuration = directory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: configuration)
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        if socketDirectory != directory.path {
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
            if isRoot { _ = try await ShellCommand.run("chown postgres \(q(socketDirectory))") }
        }
    }

    /// Runs a PostgreSQL tool as the cluster's owner, its output going to `output`.
    private func run(_ command: String, output: String = "/dev/null") async throws -> Int32 {
        let asOwner = isRoot ? "runuser -u postgres -- /bin/sh -c \(q(command))" : command
        return try await ShellCommand.run("\(asOwner) > \(q(output)) 2>&1")
    }

    private func q(_ word: String) -> String { ShellCommand.quote(word) }

    /// The directory holding `initdb` and `pg_ctl`: on PATH, or where Debian keeps them.
    package static func serverBinaries() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var candidates = path.split(separator: ":").map(String.init)
        let debian = "/usr/lib/postgresql"
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: debian) {
            candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(debian)/\($0)/bin" }
        }
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory + "/initdb") && FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl") {
            return directory
        }
        throw LedgerError(.missingDependency, """
            PostgreSQL's server programs (initdb, pg_ctl) were not found.
            Install them (Debian/Ubuntu: apt-get install -y postgresql), or set DATABASE_URL to use an existing server.
            """)
    }
}
