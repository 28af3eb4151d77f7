import PostgresNIO
import Logging
import ArgumentParser
import Foundation
import Gateway
import Ledger
import LedgerArchive

/// Exit codes scripts can rely on.
enum LedgerExitCode {
    static let conflict = ExitCode(3)
    static let integrityProblem = ExitCode(4)
    static let rejected = ExitCode(2)
    static let unavailable = ExitCode(5)
}

/// Turns ledger errors into one clear line on stderr and a meaningful exit code; the detail
/// (`debugDescription`) is logged only at debug level.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let rejection as CommandRejection {
        printError("rejected (\(rejection.code)): \(rejection.message)")
        throw LedgerExitCode.rejected
    } catch let conflict as AppendConflict {
        printError(conflict.description)
        throw LedgerExitCode.conflict
    } catch let reused as EventIDReused {
        printError(reused.description)
        throw LedgerExitCode.conflict
    } catch where DatabaseAvailability.isUnavailable(error) {
        let wrapped = LedgerError.wrapping(error, "PostgreSQL is unavailable")
        printError(wrapped.message)
        if Environment.value("LOG_LEVEL") == "debug" { printError(wrapped.debugDescription) }
        throw LedgerExitCode.unavailable
    } catch let error as LedgerError {
        printError(error.message)
        if Environment.value("LOG_LEVEL") == "debug" { printError(error.debugDescription) }
        throw ExitCode.failure
    } catch let error as ArchiveError {
        printError(error.description)
        throw ExitCode.failure
    } catch let failure as GatewayClient.Failure {
        printError(failure.description)
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch is CancellationError {
        throw ExitCode.failure
    } catch {
        let wrapped = LedgerError.wrapping(error, "failed")
        printError(wrapped.message)
        if Environment.value("LOG_LEVEL") == "debug" { printError(wrapped.debugDescription) }
        throw ExitCode.failure
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("ledger: \(message)\n".utf8))
}

/// Writes a line to stdout and flushes it, so `tail` output reaches pipes as it happens.
func printLine(_ line: String) {
    do {
        try FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
    } catch {
        // The reader went away (e.g. `| head`): nothing more to say to anyone.
        exit(0)
    }
}
