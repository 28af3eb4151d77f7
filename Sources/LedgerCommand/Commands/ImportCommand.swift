import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerArchive

/// `ledger import`: loads archives into an empty database, checking them as they stream in.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load archives into an empty database (same events, positions and hashes).",
        discussion: """
            Give the archives in order, the first starting at position 1. Everything is loaded in one \
            transaction and checked on the way (segment hashes, hash chains, seals, no holes); a bad \
            archive, a database that already holds events, or a second import changes nothing. \
            Projections build themselves from the imported log on the next `ledger run` or `ledger project`.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Archive directories, oldest first.")
    var directories: [String]

    func run() async throws {
        let line = ProgressLine("import", quiet: connection.quiet)
        let directories = directories
        let summary = try await reportingErrors {
            try await LedgerRuntime.run(connection, deadline: .longRunning) { session in
                try await ArchiveImporter(client: session.client, logger: session.logger)
                    .importArchives(directories, progress: line.update)
            }
        }
        line.finish()
        guard let summary else { throw ExitCode.failure }
        printLine("import: \(summary.events) events in \(summary.streams) streams, \(summary.seals) seals, last position \(summary.lastPosition)")
    }
}
