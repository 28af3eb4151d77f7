import CommandRuntime
import ArgumentParser
import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerArchive
import Logging
import PostgresNIO

/// `ledger-bench archive`: exports a realistic log to zstd segments and compares with the
/// `zstd` command compressing the same bytes at the same level in the same run; then imports
/// the archive into a second database.
struct ArchiveBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Benchmark archive export and import against the zstd command on the same bytes.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("events"), help: "How many events to generate first.")
    var events: Int = 1_000_000

    @Option(name: .customLong("level"), help: "zstd level for both the archive and the zstd command.")
    var level: Int32 = 3

    func validate() throws {
        guard events >= 10_000 else { throw ValidationError("--events must be at least 10000") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be between 1 and 19") }
    }

    func run() async throws {
        let zstd = try Self.zstdCommand()
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [events, level, quiet = connection.quiet] session in
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-archive-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                let say: @Sendable (String) -> Void = { if !quiet { printError("bench: \($0)") } }
                try await BenchDatabase.with(server: session.url, logger: session.logger) { database, client in
                    let store = EventStore(client: client, logger: session.logger)
                    var history = SyntheticHistory()
                    history.environmentsPerOrganisation = 250
                    let written = try await history.append(events: events, to: store) { count in
                        if count % 100_000 < 5_000 { say("generated \(count) of \(events) events") }
                    }
                    try await store.seal()
                    try await client.query("VACUUM ANALYZE ledger.events", logger: session.logger)
                    say("COPY (SELECT …) TO of the same rows…")
                    let copyRate = Double(written) / (try await database.copyOutSeconds())
                    let measured = try await Self.measure(
                        store: store, session: session, zstd: zstd, level: level, scratch: scratch, say: say)
                    printLine(Self.report(measured, events: Int64(written), copyRate: copyRate, level: level).render())
                }
            }
        }
    }

    /// What one run measured: the archive's own figures and the zstd command's on the same bytes.
    struct Measured {
        var manifest: ArchiveManifest
        var exportTime: Double
        var cliTime: Double
        var cliBytes: Int64
        var ownTime: Double
        var ownBytes: Int64
        var verifyTime: Double
        var importTime: Double
    }

    /// Exports the log, compresses the same bytes with the zstd command and the archive's own
    /// compressor, verifies the archive offline and imports it into a new database.
    static func measure(
        store: EventStore, session: LedgerSession, zstd: String, level: Int32, scratch: String, say: @escaping @Sendable (String) -> Void
    ) async throws -> Measured {
        let clock = ContinuousClock()
        say("exporting…")
        var exporter = ArchiveExporter(store: store)
        exporter.options.level = level
        let archive = scratch + "/archive"
        var start = clock.now
        let manifest = try await exporter.export(from: 1, through: nil, to: archive)
        let exportTime = (clock.now - start).seconds
        // The same bytes the archive compressed, as one file for the zstd command.
        let raw = scratch + "/segments.raw"
        try ArchiveBenchmarks.decompress(manifest, in: archive, to: raw)
        say("compressing the same \(manifest.uncompressedBytes / 1_000_000) MB with the zstd command and with the archive's compressor…")
        start = clock.now
        let status = try await ShellCommand.run("\(ShellCommand.quote(zstd)) -q -f -\(level) \(ShellCommand.quote(raw)) -o \(ShellCommand.quote(raw + ".zst"))")
        guard status == 0 else { throw LedgerError(.invalidArgument, "the zstd command failed with status \(status)") }
        let cliTime = (clock.now - start).seconds
        start = clock.now
        let ownBytes = try ArchiveBenchmarks.compress(raw, to: raw + ".own.zst", level: level)
        let ownTime = (clock.now - start).seconds
        say("verifying the archive offline…")
        start = clock.now
        let verified = try ArchiveVerifier(directory: archive).verify()
        guard verified.isClean else { throw LedgerError(.database, "the benchmark's archive does not verify: \(verified.problems.first!)") }
        let verifyTime = (clock.now - start).seconds
        say("importing into a new database…")
        let importTime = try await BenchDatabase.with(server: session.url, logger: session.logger) { _, target in
            let begun = clock.now
            _ = try await ArchiveImporter(client: target, logger: session.logger).importArchives([archive])
            return (clock.now - begun).seconds
        }
        return Measured(
            manifest: manifest, exportTime: exportTime, cliTime: cliTime, cliBytes: try ArchiveBenchmarks.size(raw + ".zst"), ownTime: ownTime,
            ownBytes: ownBytes, verifyTime: verifyTime, importTime: importTime)
    }

    static func report(_ measured: Measured, events written: Int64, copyRate: Double, level: Int32) -> BenchReport {
        let manifest = measured.manifest
        let megabytes = Double(manifest.uncompressedBytes) / 1_000_000
        let ratio = Double(manifest.uncompressedBytes) / Double(manifest.compressedBytes)
        let cliRatio = Double(manifest.uncompressedBytes) / Double(measured.cliBytes)
        let cliRate = megabytes / measured.cliTime
        var report = BenchReport(
            title: "ledger-bench archive — \(written) events, \(String(format: "%.0f", megabytes)) MB of records, zstd level \(level), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        report.add(
            "export (read log + encode + compress + write)", ledger: String(format: "%.1f MB/s, ratio %.2f", megabytes / measured.exportTime, ratio),
            baseline: String(format: "zstd -%d: %.1f MB/s, ratio %.2f", level, cliRate, cliRatio), ratio: megabytes / measured.exportTime / cliRate, target: 0.8)
        report.add(
            "compress only (same file, archive's compressor)",
            ledger: String(format: "%.1f MB/s, ratio %.2f", megabytes / measured.ownTime, Double(manifest.uncompressedBytes) / Double(measured.ownBytes)),
            baseline: String(format: "zstd -%d: %.1f MB/s", level, cliRate), ratio: megabytes / measured.ownTime / cliRate)
        report.add(
            "export, events", ledger: BenchReport.rate(Double(written) / measured.exportTime),
            baseline: BenchReport.rate(copyRate, "rows/s") + " COPY (SELECT …) TO (psql)", ratio: Double(written) / measured.exportTime / copyRate)
        report.add("verify --archive (no database)", ledger: BenchReport.rate(Double(written) / measured.verifyTime), baseline: "")
        report.add("import into an empty database", ledger: BenchReport.rate(Double(written) / measured.importTime), baseline: "")
        report.notes = [
            "MB are the uncompressed record bytes (\(manifest.uncompressedBytes) bytes in \(manifest.segments.count) segments, \(manifest.compressedBytes) compressed).",
            "The zstd command compressed the archive's own decompressed segments, concatenated, with its default settings at the same level.",
            "The export is bound by reading the log (compare its events/s with PostgreSQL's own COPY TO of the rows); compression alone is the second line.",
        ]
        return report
    }

    static func zstdCommand() throws -> String {
        for directory in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: directory + "/zstd") {
            return directory + "/zstd"
        }
        throw ValidationError("the zstd command is needed as the baseline: apt-get install -y zstd")
    }
}
