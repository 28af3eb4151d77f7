import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Ledger

/// `ledger seal`: writes digests over everything appended since the last seal.
struct SealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seal", abstract: "Seal everything appended since the last seal with chained digests.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("max-events"), help: "At most this many positions per seal.")
    var maximumEvents: Int64 = 100_000

    func validate() throws {
        guard maximumEvents > 0 else { throw ValidationError("--max-events must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection) { [maximumEvents] session in
                let seals = try await session.store.seal(maximumEvents: maximumEvents)
                if seals.isEmpty { printLine("nothing to seal") }
                for seal in seals {
                    printLine("seal \(seal.number): positions \(seal.fromPosition)–\(seal.toPosition), \(seal.eventCount) events, digest \(seal.digest.hex)")
                }
            }
        }
    }
}
