import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Projections

/// Prints what a command that started a deployment did.
private func reportNewDeployment(_ outcome: DeploymentService.Outcome?, json: Bool) throws {
    guard let outcome, let id = outcome.deploymentID else { return }
    if json { return try Output.json(["deployment_id": id, "first_position": "\(outcome.result?.firstPosition ?? 0)"]) }
    printLine(id)
}

/// `ledger deploy`: requests a deployment of a branch, commit or tag.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Request a deployment; prints the new deployment's id.",
        discussion: "Rejected (exit 2) when the environment already has a deployment in flight, or already runs this reference without --force.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Option var environment: String
    @Option var branch: String?
    @Option var commit: String?
    @Option var tag: String?
    @Option(help: "The commit message, when known.") var message: String?
    @Option(help: "The commit author, when known.") var author: String?
    @Option(help: "manual, git_push, webhook, scheduled, auto_deploy or config_update.") var trigger = "manual"
    @Flag(help: "Redeploy even when the environment already runs this.") var force = false
    @Option(name: .customLong("break-glass"), help: "Deploy through a freeze window, for this reason (recorded and flagged).") var breakGlass: String?

    func validate() throws {
        guard branch != nil || commit != nil || tag != nil else { throw ValidationError("give at least one of --branch, --commit, --tag") }
        guard DeploymentTrigger(rawValue: trigger) != nil else { throw ValidationError("unknown trigger '\(trigger)'") }
    }

    func run() async throws {
        try await reportingErrors {
            let git = GitReference(branch: branch, commit: commit, tag: tag, message: message, author: author)
            let outcome = try await DomainSession.run(connection) { [environment, trigger, force, breakGlass, options] session in
                try await session.service.deploy(
                    environment: environment, git: git, trigger: DeploymentTrigger(rawValue: trigger)!, force: force, breakGlass: breakGlass,
                    context: options.context)
            }
            try reportNewDeployment(outcome, json: options.json)
        }
    }
}

/// `ledger retry ID`.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Retry a failed deployment with the same git reference and configuration; prints the new id.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument(help: "The failed deployment.") var id: String
    @Option(name: .customLong("break-glass"), help: "Retry through a freeze window, for this reason (recorded and flagged).") var breakGlass: String?

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, breakGlass, options] session in
                try await session.service.retry(id, breakGlass: breakGlass, context: options.context)
            }
            try reportNewDeployment(outcome, json: options.json)
        }
    }
}

/// `ledger rollback ID`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Roll back to an earlier successful deployment of the same environment; prints the new id.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument(help: "The successful deployment to return to.") var id: String
    @Option(name: .customLong("break-glass"), help: "Roll back through a freeze window, for this reason (recorded and flagged).") var breakGlass: String?

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, breakGlass, options] session in
                try await session.service.rollback(to: id, breakGlass: breakGlass, context: options.context)
            }
            try reportNewDeployment(outcome, json: options.json)
        }
    }
}

/// `ledger cancel ID`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a deployment that has not finished.",
        discussion: "A pending or queued deployment is cancelled at once; a running one is asked to stop and its executor confirms.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option var reason: String?

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, reason, options] session in
                try await session.service.cancel(id, reason: reason, context: options.context)
            }
            guard let outcome else { return }
            let done = outcome.decision.events(for: DomainIDs.deploymentStream(id)).contains {
                if case .deploymentCancelled = $0 { return true }
                return false
            }
            try Output.done(
                outcome.result == nil && !outcome.replayed ? "cancellation was already requested" : done ? "cancelled \(id)" : "asked \(id) to stop",
                ["deployment_id": id, "status": done ? "cancelled" : "cancelling"], connection: connection, options: options)
        }
    }
}

/// `ledger destroy ENV`.
struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Destroy an environment: records it, makes it inactive and releases its quota.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var environment: String
    @Flag(name: .customLong("delete-data"), help: "Also delete its data directory.") var deleteData = false

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [environment, deleteData, options] session in
                try await session.service.destroy(environment: environment, deleteData: deleteData, context: options.context)
            }
            guard let record = outcome?.deploymentID else { return }
            try Output.done("destroyed \(environment) (record \(record))", ["destroyed": environment, "deployment_id": record], connection: connection, options: options)
        }
    }
}
