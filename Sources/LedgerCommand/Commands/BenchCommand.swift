import PostgresNIO
import Logging
import ArgumentParser

/// `ledger bench`: benchmarks that report ratios against baselines measured in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the ledger against raw PostgreSQL baselines on this machine.",
        subcommands: [
            AppendBenchCommand.self, ReadBenchCommand.self, RebuildBenchCommand.self, ArchiveBenchCommand.self, HTTPBenchCommand.self,
            ExecutorBenchCommand.self, LiveBenchCommand.self,
        ])
}
