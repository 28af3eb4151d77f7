import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Ledger

/// `ledger tail`: follows the log live, one JSON event per line, until interrupted.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tail", abstract: "Follow all streams live, one JSON event per line.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("from"), help: "Start at this global position (default: only events appended from now on; 1 for the whole log).")
    var from: Int64?

    @Option(name: .customLong("category"), help: "Only streams of this category (repeatable).")
    var categories: [String] = []

    @Option(name: .customLong("type"), help: "Only events of this type (repeatable).")
    var types: [String] = []

    func validate() throws {
        if let from, from < 1 { throw ValidationError("--from must be 1 or more") }
    }

    func run() async throws {
        try await reportingErrors {
            let filter = EventFilter(categories: Set(categories), eventTypes: Set(types))
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [from] session in
                let after: Int64
                if let from { after = from - 1 } else { after = try await session.store.headPosition() }
                for try await event in session.store.subscribe(after: after, filter: filter) {
                    printLine(event.jsonLine)
                }
            }
        }
    }
}
