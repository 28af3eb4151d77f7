import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Ledger

/// `ledger read`: prints one stream's events, one JSON object per line.
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Print a stream's events, one JSON object per line.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The stream to read.")
    var stream: String

    @Option(name: .customLong("from"), help: "Start at this version (default: the first, or the last with --backward).")
    var from: Int64?

    @Flag(name: .customLong("backward"), help: "Read from the newest event back.")
    var backward = false

    @Option(name: .customLong("limit"), help: "At most this many events.")
    var limit: Int = 1_000

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        if let from, from < 1 { throw ValidationError("--from must be 1 or more") }
    }

    func run() async throws {
        try await reportingErrors {
            let streamID = try StreamID(stream)
            let direction: ReadDirection = backward ? .backward : .forward
            _ = try await LedgerRuntime.run(connection) { [from, limit] session in
                var next = from
                var remaining = limit
                while remaining > 0 {
                    let page = try await session.store.read(stream: streamID, from: next, direction: direction, limit: min(remaining, 1_000))
                    page.forEach { printLine($0.jsonLine) }
                    guard page.count == min(remaining, 1_000), let last = page.last else { break }
                    remaining -= page.count
                    let following = direction == .forward ? last.streamVersion + 1 : last.streamVersion - 1
                    if following < 1 { break }
                    next = following
                }
            }
        }
    }
}
