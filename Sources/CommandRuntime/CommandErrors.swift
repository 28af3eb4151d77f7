import PostgresNIO
import Logging
import ArgumentParser
import Foundation
import LedgerClient
import Executors
import Gateway
import Ledger
import LedgerDomain
import LedgerArchive

/// Exit codes that report a result rather than an error (errors take theirs from `ErrorTable`).
package enum LedgerExitCode {
    package static let integrityProblem = ExitCode(4)
}

/// Turns errors into one clear line on stderr and the exit code `ErrorTable` gives their code;
/// the detail (`debugDescription`) is printed only with LOG_LEVEL=debug.
package func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch is CancellationError {
        throw ExitCode.failure
    } catch let failure as GatewayClient.Failure {
        printError(failure.description)
        // A server that cannot be reached (or cut the answer off) is the "try again" class.
        throw ExitCode(ExitCodes.exitCode(for: ErrorTable.entry(code: failure.retryable ? "server_unreachable" : "internal")))
    } catch {
        let entry = ErrorTable.entry(for: error)
        printError(message(for: error, entry))
        if Environment.value("LOG_LEVEL") == "debug" { printError(String(reflecting: error)) }
        throw ExitCode(ExitCodes.exitCode(for: entry))
    }
}

/// The line a person reads: refusals name their code, the database's absence says so.
private func message(for error: any Error, _ entry: ErrorTable.Entry) -> String {
    if let rejection = error as? CommandRejection { return "rejected (\(rejection.code)): \(rejection.message)" }
    if entry.code == "database_unavailable" { return LedgerError.wrapping(error, "PostgreSQL is unavailable").message }
    if let coded = error as? any CodedError { return coded.description }
    return LedgerError.wrapping(error, "failed").message
}

package func printError(_ message: String) {
    StandardError.write("ledger: \(TerminalText.visible(message, keepingNewlines: true))\n")
}

/// Writes a line to stdout and flushes it, so `tail` output reaches pipes as it happens.
/// Control characters other than newline and tab (terminal escape sequences a commit message
/// or a log line could carry) are written as visible `\u001B` escapes, never sent raw.
package func printLine(_ line: String) {
    guard !StandardOutput.isGone else { return }
    do {
        try FileHandle.standardOutput.write(contentsOf: Data((TerminalText.visible(line, keepingNewlines: true) + "\n").utf8))
    } catch {
        // The reader went away (e.g. `| head`): nothing more to say to anyone. A plain command
        // ends at once; one that started the embedded servers stops them first (as on SIGTERM).
        StandardOutput.readerWentAway()
    }
}
