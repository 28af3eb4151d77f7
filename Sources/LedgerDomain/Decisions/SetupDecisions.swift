import Ledger
import Foundation

/// Decisions about organisations, projects and environments: pure functions from what their
/// streams say (folded states) and a command to the events to append, or a rejection.
public enum SetupDecisions {
    public static func createOrganisation(
        id: String, name: String, quota: Resources?, existing: OrganisationState?
    ) throws -> Decision {
        try DomainIDs.validate(id, kind: "organisation")
        guard existing == nil else { throw CommandRejection(.alreadyExists, "organisation \(id) already exists") }
        try requireName(name)
        if let problems = quota?.problems("quota:", lowest: 0), !problems.isEmpty {
            throw CommandRejection(.invalid, "invalid quota: " + problems.joined(separator: "; ") + " (0 means unlimited)")
        }
        return Decision([.init(DomainIDs.organisationStream(id), expectedVersion: .noStream, [
            .organisationCreated(OrganisationCreated(organisationID: id, name: name, quota: quota))
        ])])
    }

    public static func createProject(
        id: String, name: String, repository: String?, organisation: OrganisationState?, existing: ProjectState?
    ) throws -> Decision {
        try DomainIDs.validate(id, kind: "project")
        guard let organisation else { throw CommandRejection(.notFound, "no such organisation") }
        guard existing == nil else { throw CommandRejection(.alreadyExists, "project \(id) already exists") }
        try requireName(name)
        if let repository, let problem = RepositoryRules.problem(repository) { throw CommandRejection(.invalid, problem) }
        return Decision([.init(DomainIDs.projectStream(id), expectedVersion: .noStream, [
            .projectCreated(ProjectCreated(projectID: id, organisationID: organisation.organisationID, name: name, repository: repository))
        ])])
    }

    /// Sets a project's repository address: code (what every deployment clones), so it needs
    /// `mayChangeCode`; the same address again writes nothing.
    public static func setRepository(_ repository: String, of project: ProjectState?, mayChangeCode: Bool) throws -> Decision {
        guard let project else { throw CommandRejection(.notFound, "no such project") }
        guard mayChangeCode else {
            throw CommandRejection(.forbidden, "a project's repository is code: changing it needs the permission org.pipelines.manage")
        }
        if let problem = RepositoryRules.problem(repository) { throw CommandRejection(.invalid, problem) }
        guard project.repository != repository else { return .nothing }
        return Decision([.init(DomainIDs.projectStream(project.projectID), expectedVersion: .exact(project.version), [
            .projectRepositoryChanged(ProjectRepositoryChanged(projectID: project.projectID, repository: repository, previous: project.repository))
        ])])
    }

    /// Creates an environment, configured at once when a configuration is given.
    /// With the `organisation`'s state, its quota is enforced on the new allocation.
    public static func createEnvironment(
        id: String, name: String, project: ProjectState?, existing: EnvironmentState?, configuration: EnvironmentConfiguration?,
        organisation: OrganisationState? = nil, server: ServerState? = nil, mayChangeCode: Bool = true, type: EnvironmentType? = nil
    ) throws -> Decision {
        try DomainIDs.validate(id, kind: "environment")
        guard let project else { throw CommandRejection(.notFound, "no such project") }
        guard existing == nil else { throw CommandRejection(.alreadyExists, "environment \(id) already exists") }
        try requireName(name)
        var events: [DomainEvent] = [
            .environmentCreated(EnvironmentCreated(environmentID: id, projectID: project.projectID, organisationID: project.organisationID, name: name, type: type))
        ]
        if let configuration {
            try requireValid(configuration)
            try requireUnlocked(configuration, type: type)
            let changes = try permitted(configuration.changes(from: nil), mayChangeCode: mayChangeCode)
            events.append(.environmentConfigured(EnvironmentConfigured(environmentID: id, configuration: configuration, changes: changes)))
        }
        let allocation = try QuotaDecisions.allocate(configuration?.resources ?? .zero, to: id, in: organisation)
        let placement = try place(id, organisation: project.organisationID, configuration: configuration, on: server, leaving: nil)
        return Decision([.init(DomainIDs.environmentStream(id), expectedVersion: .noStream, events)] + ([allocation] + placement).compactMap { $0 })
    }

    /// With the `organisation`'s state, its quota is enforced on a changed allocation (a
    /// destroyed environment allocates nothing until it is deployed again).
    public static func configureEnvironment(
        _ environment: EnvironmentState?, configuration: EnvironmentConfiguration, organisation: OrganisationState? = nil,
        server: ServerState? = nil, previousServer: ServerState? = nil, mayChangeCode: Bool = true
    ) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        try requireValid(configuration)
        try requireUnlocked(configuration, type: environment.type)
        if environment.configuration == configuration { return .nothing }
        let changes = try permitted(configuration.changes(from: environment.configuration), mayChangeCode: mayChangeCode)
        let destroyed = environment.status == .destroyed
        let allocation = destroyed ? nil : try QuotaDecisions.allocate(configuration.resources, to: environment.environmentID, in: organisation)
        let placement = destroyed
            ? [] : try place(environment.environmentID, organisation: environment.organisationID, configuration: configuration, on: server, leaving: previousServer)
        return Decision([.init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
            .environmentConfigured(EnvironmentConfigured(environmentID: environment.environmentID, configuration: configuration, changes: changes))
        ])] + ([allocation] + placement).compactMap { $0 })
    }

    /// Refuses what the environment's type locks off (auto-delete on production).
    static func requireUnlocked(_ configuration: EnvironmentConfiguration, type: EnvironmentType?) throws {
        if let type, type.autoDeleteLocked, configuration.autoDelete == true {
            throw CommandRejection(.invalid, "auto-delete is always off for \(type.rawValue) environments")
        }
    }

    /// `changes`, unless one of them is code and the caller may not change code.
    static func permitted(_ changes: [ConfigurationChange], mayChangeCode: Bool) throws -> [ConfigurationChange] {
        let code = changes.filter(\.isCode).map(\.field)
        guard mayChangeCode || code.isEmpty else {
            throw CommandRejection(
                .forbidden,
                "\(code.joined(separator: ", ")) \(code.count == 1 ? "is" : "are") code (commands, URLs, paths, where the environment runs): "
                    + "changing \(code.count == 1 ? "it" : "them") needs the permission \(Permission.managePipelines.rawValue) (org_admin and above)")
        }
        return changes
    }

    /// The server writes of a configuration: its allocation on the server it names (checked
    /// against the server's capacity) and its release from the one it leaves.
    static func place(
        _ environmentID: String, organisation: String, configuration: EnvironmentConfiguration?, on server: ServerState?, leaving previous: ServerState?
    ) throws -> [Decision.Write?] {
        var writes: [Decision.Write?] = []
        if let name = configuration?.server, let configuration {
            guard let server, server.serverID == name else { throw CommandRejection(.notFound, "no such server: \(name)") }
            writes.append(try ServerDecisions.allocate(configuration.resources, to: environmentID, organisation: organisation, on: server))
        }
        if let previous, previous.serverID != configuration?.server {
            writes.append(ServerDecisions.release(environmentID, on: previous))
        }
        return writes
    }

    static func requireName(_ name: String) throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200 else {
            throw CommandRejection(.invalid, "a name must be 1–200 characters")
        }
    }

    static func requireValid(_ configuration: EnvironmentConfiguration) throws {
        let problems = configuration.problems
        guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid configuration: " + problems.joined(separator: "; ")) }
    }
}
