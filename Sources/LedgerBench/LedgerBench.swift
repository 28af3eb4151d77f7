import CommandRuntime
import ArgumentParser
import Glibc

/// `ledger-bench`: the benchmarks, in an executable of their own so that the shipped `ledger`
/// carries none of them. Each reports ratios against baselines measured in the same run, on
/// the same machine (these machines are shared and noisy: absolute numbers drift).
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench", abstract: "Measure the ledger against raw PostgreSQL baselines on this machine.",
        subcommands: [
            AppendBenchCommand.self, ReadBenchCommand.self, RebuildBenchCommand.self, ArchiveBenchCommand.self, HTTPBenchCommand.self,
            ExecutorBenchCommand.self, LiveBenchCommand.self,
        ])

    /// SIGPIPE is ignored, as in `ledger`: a reader that goes away makes writes fail rather than
    /// kill the process before the embedded PostgreSQL is stopped.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
