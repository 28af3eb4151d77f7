import PostgresNIO
import Logging
import ArgumentParser
import Ledger

/// `ledger run`: the service for now — migrates, seals periodically and follows the log.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Start the ledger: migrate, seal new events periodically, and follow the log (Ctrl-C stops).")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("seal-every"), help: "Seconds between seals of newly appended events.")
    var sealInterval: Int = 60

    func validate() throws {
        guard sealInterval > 0 else { throw ValidationError("--seal-every must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection) { [sealInterval] session in
                printError("ledger is running on \(session.url); following the log (Ctrl-C to stop)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: .seconds(sealInterval))
                            for seal in try await session.store.seal() {
                                session.logger.info("sealed", metadata: ["ledger.seal": "\(seal.number)", "ledger.to": "\(seal.toPosition)"])
                            }
                        }
                    }
                    group.addTask {
                        for try await event in session.store.subscribe(after: 0) {
                            printLine(EventJSON.line(event))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
