import ArgumentParser
import CommandRuntime
import Foundation
import Ledger
import LedgerDomain

/// `ledger approve ID --comment`: approves a deployment that waits for approval, as the
/// person `--actor` names (never the one who requested it).
struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a deployment awaiting approval; the last approval needed releases it.",
        discussion: "Refused (exit 2) for the deployment's requester, for someone the rules do not make a reviewer, and when another deployment is in flight on the environment.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option(help: "Why (kept with the approval).") var comment: String

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, comment, options] session in
                try await session.service.approve(id, comment: comment, context: options.context)
            }
            guard let outcome else { return }
            let released = outcome.decision.events(for: DomainIDs.deploymentStream(id)).contains {
                if case .deploymentApprovalGranted = $0 { return true }
                return false
            }
            try Output.done(
                released ? "approved \(id): released to the executors" : "approved \(id): it waits for more approvals",
                ["deployment_id": id, "status": released ? DeploymentStatus.pending.rawValue : DeploymentStatus.awaitingApproval.rawValue],
                connection: connection, options: options)
        }
    }
}

/// `ledger reject ID --comment`: rejects a deployment that waits for approval; it never runs.
struct RejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject a deployment awaiting approval: it ends without running.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option(help: "Why (kept with the rejection).") var comment: String

    func run() async throws {
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, comment, options] session in
                try await session.service.reject(id, comment: comment, context: options.context)
            }
            guard outcome != nil else { return }
            try Output.done("rejected \(id)", ["deployment_id": id, "status": DeploymentStatus.rejected.rawValue], connection: connection, options: options)
        }
    }
}

/// `ledger environments protect ENV …`: sets an environment's protection rules.
struct ProtectEnvironmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protect", abstract: "Set an environment's protection rules (given none, they are removed).",
        discussion: "Deployments requested from now on wait for --approvals approvals of their exact commit, configuration and pipeline.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option(help: "How many distinct people must approve (0–\(ProtectionRules.maximumApprovals)).") var approvals = 0
    @Option(name: .customLong("reviewer-role"), help: "A role whose holders may approve (repeatable).") var reviewerRoles: [String] = []
    @Option(name: .customLong("reviewer"), help: "A person who may approve (repeatable).") var reviewers: [String] = []
    @Option(name: .customLong("allow-ref"), help: "A branch or tag pattern deployments must match, * for any characters (repeatable).")
    var allowedRefs: [String] = []
    @Flag(name: .customLong("require-deploy-permission"), help: "Deploying here needs \(Permission.deployProtected.rawValue).")
    var deployPermission = false
    @Option(name: .customLong("approval-hours"), help: "How long an approval counts.") var approvalHours = ProtectionRules.defaultApprovalLifetimeHours
    @Option(help: "An environment of the same project a commit must have succeeded in first (staging before production).") var upstream: String?
    @Option(name: .customLong("wait-minutes"), help: "Minutes a deployment waits after it is requested, approved or not (0–43200).") var waitMinutes = 0

    func validate() throws {
        if let unknown = reviewerRoles.first(where: { Role(rawValue: $0) == nil }) {
            throw ValidationError("unknown role '\(unknown)' (one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let rules = ProtectionRules(
            requiredApprovals: approvals, reviewers: .init(roles: reviewerRoles.compactMap(Role.init(rawValue:)), users: reviewers),
            allowedRefs: allowedRefs, deployPermission: deployPermission, approvalLifetimeHours: approvalHours, upstream: upstream,
            waitMinutes: waitMinutes)
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, options] session in
                try await session.service.protect(environment: id, rules: rules, context: options.context)
            }
            guard let outcome else { return }
            let sentence = outcome.result == nil ? "\(id): the rules were already these" : rules.demandsSomething ? "protected \(id)" : "removed the protection of \(id)"
            try Output.done(sentence, ["environment_id": id, "protected": "\(rules.demandsSomething)"], connection: connection, options: options)
        }
    }
}

/// `ledger environments freeze ENV …`: adds, replaces or removes one freeze window of an
/// environment (or with `--project`, of a project); the others stay.
struct FreezeEnvironmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze", abstract: "Add, replace (by name) or remove a freeze window of an environment or, with --project, a project.",
        discussion: """
            Recurring: --cron-start "0 20 * * 5" --cron-end "0 6 * * 1" --time-zone Europe/Berlin. Once: --from 2026-12-20T00:00:00Z \
            --to 2026-12-28T00:00:00Z. Nothing is deployed while a window is in force, unless glass is broken (--break-glass REASON \
            on deploy, retry or rollback, with project.freeze.override).
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument(help: "The environment (left out with --project).") var id: String?
    @Option(help: "Set the project's windows instead.") var project: String?
    @Option(help: "The window's name.") var name: String
    @Option(name: .customLong("cron-start")) var cronStart: String?
    @Option(name: .customLong("cron-end")) var cronEnd: String?
    @Option(name: .customLong("time-zone"), help: "An IANA time zone (default UTC).") var timeZone: String?
    @Option(help: "An RFC 3339 instant.") var from: String?
    @Option(help: "An RFC 3339 instant.") var to: String?
    @Flag(name: .customLong("allow-rollbacks"), help: "Let rollbacks through (they repair).") var allowRollbacks = false
    @Flag(help: "Remove the window of this name.") var remove = false

    func validate() throws {
        guard (id == nil) != (project == nil) else { throw ValidationError("name an environment, or --project, not both") }
        for (label, text) in [("--from", from), ("--to", to)] where text != nil && Timestamps.parse(text!) == nil {
            throw ValidationError("\(label) must be an RFC 3339 instant, e.g. 2026-12-20T00:00:00Z")
        }
    }

    func run() async throws {
        let window = FreezeWindow(
            name: name, cronStart: cronStart, cronEnd: cronEnd, timeZone: timeZone, fromMicroseconds: from.flatMap(Timestamps.parse),
            toMicroseconds: to.flatMap(Timestamps.parse), allowRollbacks: allowRollbacks)
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, project, name, remove, options] session in
                let service = session.service
                var windows: [FreezeWindow]
                if let project {
                    guard let state = try await service.project(project) else { throw CommandRejection(.notFound, "no such project") }
                    windows = state.freezeWindows
                } else {
                    guard let state = try await service.environment(id!) else { throw CommandRejection(.notFound, "no such environment") }
                    windows = state.freezeWindows
                }
                windows.removeAll { $0.name == name }
                if !remove { windows.append(window) }
                return if let project {
                    try await service.setFreezeWindows(windows, project: project, context: options.context)
                } else {
                    try await service.setFreezeWindows(windows, environment: id!, context: options.context)
                }
            }
            guard outcome != nil else { return }
            let target = project.map { "project \($0)" } ?? id!
            try Output.done(
                remove ? "removed freeze window \(name) of \(target)" : "set freeze window \(name) of \(target)",
                ["target": target, "window": name, "removed": "\(remove)"], connection: connection, options: options)
        }
    }
}

/// `ledger environments schedule ENV --id ID …`: schedules a deployment once (`--at`) or on a
/// cron schedule (`--cron`, `--time-zone`); `--remove` removes it.
struct ScheduleEnvironmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Schedule a deployment (once, or on a cron schedule in a time zone), or remove a schedule.",
        discussion: """
            Every occurrence is requested with the trigger `scheduled` through the environment's rules, on behalf of --actor. \\
            One that falls in a freeze waits for its end (--in-freeze wait) or is skipped (--in-freeze skip); the log says which. \\
            `ledger run` and `ledger serve` request what is due.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var environment: String
    @Option(help: "The schedule's id (a lowercase identifier).") var id: String
    @Option var branch: String?
    @Option var commit: String?
    @Option var tag: String?
    @Option(help: "Once, at this RFC 3339 instant.") var at: String?
    @Option(help: "Five cron fields, e.g. '0 2 * * 1-5'.") var cron: String?
    @Option(name: .customLong("time-zone"), help: "An IANA time zone for --cron (default UTC).") var timeZone: String?
    @Option(name: .customLong("in-freeze"), help: "wait or skip.") var inFreeze = "wait"
    @Flag(help: "Remove the schedule.") var remove = false

    func validate() throws {
        guard DeploymentSchedule.FreezePolicy(rawValue: inFreeze) != nil else { throw ValidationError("--in-freeze is wait or skip") }
        if let at, Timestamps.parse(at) == nil { throw ValidationError("--at must be an RFC 3339 instant, e.g. 2026-12-24T06:00:00Z") }
    }

    func run() async throws {
        let git = GitReference(branch: branch, commit: commit, tag: tag)
        try await reportingErrors {
            let outcome = try await DomainSession.run(connection) { [id, environment, at, cron, timeZone, inFreeze, remove, options] session in
                if remove { return try await session.service.unschedule(id, environment: environment, context: options.context) }
                return try await session.service.schedule(
                    id, environment: environment, git: git, at: at.flatMap(Timestamps.parse), cron: cron, timeZone: timeZone,
                    inFreeze: DeploymentSchedule.FreezePolicy(rawValue: inFreeze)!, context: options.context)
            }
            guard outcome != nil else { return }
            try Output.done(
                remove ? "removed schedule \(id) of \(environment)" : "scheduled \(id) on \(environment)",
                ["environment_id": environment, "schedule_id": id, "removed": "\(remove)"], connection: connection, options: options)
        }
    }
}
