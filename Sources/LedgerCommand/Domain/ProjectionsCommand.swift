import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import Projections
import ServiceLifecycle

/// `ledger projections status|rebuild`, and `ledger project` to run the runners.
struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections", abstract: "Inspect and rebuild the read models.", subcommands: [Status.self, Rebuild.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each projection's position, lag behind the log, rate and state.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON lines.") var json = false

        func run() async throws {
            try await reportingErrors {
                guard let statuses = try await LedgerRuntime.run(connection, { session in
                    try await ProjectionStatus.read(ProjectionCatalog.all, client: session.client, store: session.store, logger: session.logger)
                }) else { return }
                if json { return try statuses.forEach(Output.json) }
                Output.table(
                    ["PROJECTION", "VERSION", "STATE", "POSITION", "LAG", "RATE/S", "EVENTS", "STOPPED AT"],
                    statuses.map {
                        [
                            $0.name, $0.liveVersion.map { "\($0)" } ?? "-", $0.state, "\($0.position)", "\($0.lag)",
                            String(format: "%.0f", $0.rate), "\($0.events)",
                            Self.stoppedAt($0),
                        ]
                    })
                if statuses.contains(where: { $0.state == "failed" }) { throw ExitCode.failure }
            }
        }

        static func stoppedAt(_ status: ProjectionStatus) -> String {
            guard let position = status.failedPosition else { return "-" }
            return "\(position) \(status.failedEventType ?? ""): \(status.failedError ?? "")"
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild a projection from position 0 beside the live copy, then swap it in; readers keep reading.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The projection's name, or 'all'.") var name: String

        func validate() throws {
            guard name == "all" || ProjectionCatalog.named(name) != nil else {
                throw ValidationError("unknown projection '\(name)'; one of: all, " + ProjectionCatalog.all.map(\.name).joined(separator: ", "))
            }
        }

        func run() async throws {
            try await reportingErrors {
                _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [name, quiet = connection.quiet] session in
                    if name == "all" {
                        try await Self.rebuildAll(session, quiet: quiet)
                        return
                    }
                    let projection = ProjectionCatalog.named(name)!
                    let runner = ProjectionRunner(projection: projection, store: session.store, client: session.client, logger: session.logger)
                    let summary = try await ProjectionRebuilder(runner: runner).rebuild { progress in
                        if !quiet { printError("\(projection.name): position \(progress.position) of \(progress.head), \(progress.events) events") }
                    }
                    printLine("rebuilt \(projection.name): \(summary.events) events to position \(summary.position) in \(summary.buildTime + summary.swapTime)")
                }
            }
        }

        /// Every projection in one pass over the log; fails (after swapping in the others) when one could not be rebuilt.
        static func rebuildAll(_ session: LedgerSession, quiet: Bool) async throws {
            let runners = ProjectionCatalog.all.map {
                ProjectionRunner(projection: $0, store: session.store, client: session.client, logger: session.logger)
            }
            let outcome = try await ProjectionSetRebuilder(runners: runners).rebuild { progress in
                if !quiet { printError("all projections: position \(progress.position) of \(progress.head)") }
            }
            for name in ProjectionCatalog.all.map(\.name) {
                if let summary = outcome.rebuilt[name] {
                    printLine("rebuilt \(name): \(summary.events) events to position \(summary.position) in \(summary.buildTime + summary.swapTime)")
                }
            }
            guard outcome.failed.isEmpty else {
                throw LedgerError(
                    .invalidEvent,
                    outcome.failed.sorted { $0.key < $1.key }.map { "\($0.key) was not rebuilt: \($0.value)" }.joined(separator: "; "))
            }
        }
    }
}

/// `ledger project`: runs every projection's runner (active or standing by) until stopped.
struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "Keep every projection up to date (run as many as you like: one is active, the others stand by).")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { session in
                printError("projecting the log into \(ProjectionCatalog.all.count) read models (Ctrl-C to stop)")
                try await session.runServices([ProjectionCatalog.groupRunner(session)])
            }
        }
    }
}

extension ProjectionCatalog {
    /// Every projection, kept up to date on one connection.
    static func groupRunner(_ session: LedgerSession) -> ProjectionGroupRunner {
        ProjectionGroupRunner(
            runners: all.map { ProjectionRunner(projection: $0, store: session.store, client: session.client, logger: session.logger) },
            logger: session.logger)
    }
}
