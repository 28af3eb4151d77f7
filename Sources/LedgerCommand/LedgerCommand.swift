import CommandRuntime
import ArgumentParser
import Glibc

/// `ledger`: one binary for every role of the deployment ledger.
@main
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An event-sourced deployment ledger on PostgreSQL.",
        discussion: """
            Every command uses DATABASE_URL (or --database-url) when set; otherwise it starts a private \
            PostgreSQL under .ledger/pg (or --data-dir / LEDGER_DATA_DIR) and stops it again when it is done. \
            The schema is migrated automatically before any command runs.

            Exit codes: 0 success, 1 failure, 2 command rejected (the reason is printed), 3 version conflict, \
            4 integrity problem found, 5 database unavailable or timed out, 64 invalid arguments, \
            130/143 stopped by SIGINT/SIGTERM.
            """,
        subcommands: [
            RunCommand.self, ServeCommand.self, MigrateCommand.self, AppendCommand.self, ReadCommand.self, TailCommand.self,
            SealCommand.self, VerifyCommand.self, ArchiveCommand.self, ImportCommand.self, PruneCommand.self,
            OrgsCommand.self, ProjectsCommand.self, EnvironmentsCommand.self, DeployCommand.self, DeploymentsCommand.self,
            RetryCommand.self, RollbackCommand.self, CancelCommand.self, ApproveCommand.self, RejectCommand.self, DestroyCommand.self, ProgressCommand.self, LogsCommand.self,
            AuditCommand.self, ComplianceCommand.self, QuotaCommand.self, HistoryCommand.self, ProjectionsCommand.self, ProjectCommand.self,
            SimulateCommand.self, TokensCommand.self, WorkCommand.self, ServersCommand.self, KeysCommand.self,
        ])

    /// SIGPIPE is ignored: a reader that goes away (`| tee` stopped with Ctrl-C, `| head`) makes
    /// writes fail rather than kill the process on the spot, so the embedded PostgreSQL and
    /// Redis are still stopped on the way out.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
