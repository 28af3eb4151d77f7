import PostgresNIO
import Logging
import ArgumentParser
import Foundation
import Ledger

/// `ledger verify`: re-checks every hash chain and seal; exits 4 naming the first bad position.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the whole log against its hash chains and seals.",
        discussion: "Exits 0 when the log is intact, 4 when it is not, naming the first bad position and its stream.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let quiet = connection.quiet
        let report = try await reportingErrors {
            try await LedgerRuntime.run(connection) { session in
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
}
