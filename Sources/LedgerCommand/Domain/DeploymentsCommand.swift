import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Projections

/// `ledger deployments list|show`.
struct DeploymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployments", abstract: "List and show deployments.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deployments, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org")) var organisation: String?
        @Option var project: String?
        @Option var environment: String?
        @Option var status: String?
        @Option var trigger: String?
        @Flag(help: "Only deployments abandoned after transient errors (connection refused, timeouts) outlasted every retry.")
        var abandoned = false
        @Option var skip = 0
        @Option var limit = 50

        func validate() throws {
            if let status, DeploymentStatus(rawValue: status) == nil { throw ValidationError("unknown status '\(status)'") }
            if let trigger, DeploymentTrigger(rawValue: trigger) == nil { throw ValidationError("unknown trigger '\(trigger)'") }
            guard skip >= 0, (1...500).contains(limit) else { throw ValidationError("--skip must be ≥ 0 and --limit 1–500") }
        }

        func run() async throws {
            try await reportingErrors {
                var filter = ProjectionReader.DeploymentFilter()
                filter.organisation = organisation
                filter.project = project
                filter.environment = environment
                filter.status = status.flatMap(DeploymentStatus.init(rawValue:))
                filter.trigger = trigger.flatMap(DeploymentTrigger.init(rawValue:))
                filter.abandoned = abandoned
                filter.skip = skip
                filter.limit = limit
                guard let deployments = try await DomainSession.run(connection, { [filter] session in
                    try await session.catchUp(["deployments"])
                    return try await session.reader.deployments(filter)
                }) else { return }
                if options.json { return try deployments.forEach(Output.json) }
                Output.table(
                    ["ID", "ENVIRONMENT", "#", "STATUS", "TRIGGER", "GIT", "BY", "REQUESTED", "DURATION"],
                    deployments.map {
                        [
                            $0.deploymentID, $0.environmentID, "\($0.number)", $0.status.rawValue, $0.trigger.rawValue,
                            $0.git.shortDescription, $0.requestedBy, Output.time($0.requestedAtMicroseconds), Output.duration($0.durationMs),
                        ]
                    })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one deployment.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String

        func run() async throws {
            try await reportingErrors {
                guard let found = try await DomainSession.run(connection, { [id] session in
                    try await session.catchUp(["deployments"])
                    return try await session.reader.deployment(id)
                }) else { return }
                guard let d = found else { throw CommandRejection(.notFound, "no such deployment") }
                if options.json { return try Output.json(d) }
                printLine("deployment \(d.deploymentID): #\(d.number) of \(d.environmentID) (\(d.projectID), \(d.organisationID))")
                printLine("status      \(d.status.rawValue)" + (d.cancellationRequested && !d.status.isTerminal ? " (cancellation requested)" : ""))
                printLine("trigger     \(d.trigger.rawValue)\(d.force ? " (forced)" : "") by \(d.requestedBy)")
                printLine(TerminalText.visible(
                    "git         \(d.git.shortDescription)" + (d.git.message.map { " — \($0)" } ?? "") + (d.git.author.map { " (\($0))" } ?? "")))
                if let ref = d.resolvedRef, let commit = d.git.commit { printLine("resolved    \(ref) → \(commit) (the commit that ran)") }
                if let plan = d.plannedPipeline {
                    let ran = d.pipelineFingerprint.map { $0 == plan.fingerprint ? ", ran as planned" : ", ran another file: \($0.prefix(19))…" } ?? ""
                    printLine("pipeline    \(plan.name) (\(plan.fingerprint.prefix(19))…, \(plan.steps.count) steps\(ran))")
                }
                if let retryOf = d.retryOf { printLine("retry of    \(retryOf)") }
                if let rollbackTo = d.rollbackTo { printLine("rollback to \(rollbackTo)") }
                if let replacedBy = d.replacedBy { printLine("replaced by \(replacedBy)") }
                printLine("requested   \(Output.time(d.requestedAtMicroseconds))")
                printLine("started     \(Output.time(d.startedAtMicroseconds))" + (d.executor.map { " by \($0)" } ?? ""))
                printLine("finished    \(Output.time(d.finishedAtMicroseconds))  duration \(Output.duration(d.durationMs))")
                if let error = d.error { printLine(TerminalText.visible("error       \(error)" + (d.failedStep.map { " (step \($0))" } ?? ""))) }
                printLine("target      \(d.configuration.sshUser)@\(d.configuration.host):\(d.configuration.sshPort), \(Output.resources(d.configuration.resources))")
            }
        }
    }
}
