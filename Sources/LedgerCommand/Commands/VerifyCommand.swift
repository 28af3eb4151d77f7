import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Foundation
import Ledger
import LedgerArchive

/// `ledger verify`: re-checks every hash chain and seal; exits 4 naming the first bad position.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the whole log against its hash chains and seals.",
        discussion: """
            Exits 0 when the log is intact, 4 when it is not, naming the first bad position and its stream. \
            With --archive DIR it checks an archive instead, with no database at all: every segment \
            decompresses and matches its hash, positions have no holes, every stream's chain links and \
            every seal's digest matches the events.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("archive"), help: "Check this archive directory instead of the database (no database needed).")
    var archive: String?

    func run() async throws {
        if let archive { return try verifyArchive(archive) }
        let quiet = connection.quiet
        let report = try await reportingErrors {
            try await LedgerRuntime.run(connection, deadline: .longRunning) { session in
                try await session.store.verify(progress: { checked in
                    if !quiet && checked % 100_000 < 5_000 { printError("verify: \(checked) events checked") }
                })
            }
        }
        guard let report else { throw ExitCode.failure }
        if let first = report.firstProblem {
            printLine("verify: FAILED — first bad position \(first.position)\(first.streamID.map { " in stream \($0)" } ?? ""): \(first.kind.rawValue): \(first.detail)")
            for problem in report.problems.prefix(20) where problem != first {
                printLine("  also: \(problem)")
            }
            if report.problems.count > 21 { printLine("  … \(report.problems.count - 21) more") }
            throw LedgerExitCode.integrityProblem
        }
        printLine("verify: OK — \(report.eventsChecked) events, \(report.sealsChecked) seals, last position \(report.lastPosition)")
    }

    private func verifyArchive(_ directory: String) throws {
        let line = ProgressLine("verify", quiet: connection.quiet)
        var verifier = ArchiveVerifier(directory: directory)
        let total = (try? ArchiveManifest.read(from: directory))?.eventCount ?? 0
        verifier.progress = { events, bytes in line.update(ArchiveProgress(events: events, totalEvents: total, bytes: bytes)) }
        let report: ArchiveVerificationReport
        do {
            report = try verifier.verify()
        } catch {
            line.finish()
            printError("\(error)")
            throw ExitCode.failure
        }
        line.finish()
        if let first = report.problems.first {
            printLine("verify: FAILED — \(first)")
            for problem in report.problems.dropFirst().prefix(20) { printLine("  also: \(problem)") }
            if report.problems.count > 21 { printLine("  … \(report.problems.count - 21) more") }
            throw LedgerExitCode.integrityProblem
        }
        let manifest = report.manifest
        var summary = "verify: OK — archive of positions \(manifest.fromPosition)–\(manifest.toPosition), \(report.eventsChecked) events in \(manifest.segments.count) segments, \(report.sealsChecked) seals"
        if report.sealsPartlyCovered > 0 { summary += " (\(report.sealsPartlyCovered) more only partly inside the range, not checkable)" }
        printLine(summary + ", digest \(manifest.digest.hex)")
    }
}
