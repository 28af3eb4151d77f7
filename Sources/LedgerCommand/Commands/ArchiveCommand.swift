import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerArchive

/// `ledger archive`: exports a range of the log as verifiable zstd segments plus a manifest.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Export a range of the log as zstd segment files and a manifest.",
        discussion: """
            Seals the log first, so the range is covered by seals, then writes DIR/segment-NNNNNN.zst \
            and DIR/manifest.json (ranges, event counts, per-segment SHA-256, the covering seals and \
            a digest over all of it). Memory stays bounded whatever the range. Check the result \
            anywhere, with no database, by `ledger verify --archive DIR`.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("from"), help: "First position to export.")
    var from: Int64 = 1

    @Option(name: .customLong("to"), help: "Last position to export (default: the head).")
    var to: Int64?

    @Option(name: .customLong("out"), help: "Directory to write; created when missing, refused when not empty.")
    var out: String

    @Option(name: .customLong("level"), help: "zstd compression level (1–19).")
    var level: Int32 = 3

    @Option(name: .customLong("segment-events"), help: "Events per segment file.")
    var segmentEvents: Int64 = 250_000

    func validate() throws {
        guard (1...19).contains(level) else { throw ValidationError("--level must be between 1 and 19") }
        guard segmentEvents > 0 else { throw ValidationError("--segment-events must be positive") }
        guard from >= 1 else { throw ValidationError("--from must be 1 or more") }
        if let to, to < from { throw ValidationError("--to must not be below --from") }
    }

    func run() async throws {
        let line = ProgressLine("archive", quiet: connection.quiet)
        let manifest = try await reportingErrors {
            try await LedgerRuntime.run(connection, deadline: .longRunning) { session in
                var exporter = ArchiveExporter(store: session.store)
                exporter.options.level = level
                exporter.options.segmentEvents = segmentEvents
                return try await exporter.export(from: from, through: to, to: out, progress: line.update)
            }
        }
        line.finish()
        guard let manifest else { throw ExitCode.failure }
        printLine(
            "archive: \(manifest.eventCount) events, positions \(manifest.fromPosition)–\(manifest.toPosition), "
                + "\(manifest.segments.count) segments, \(Self.megabytes(manifest.uncompressedBytes)) → \(Self.megabytes(manifest.compressedBytes)) "
                + "(ratio \(String(format: "%.2f", Double(manifest.uncompressedBytes) / Double(max(manifest.compressedBytes, 1))))), "
                + "\(manifest.seals.count) seals, digest \(manifest.digest.hex) in \(out)")
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
