import Ledger

/// Setting and removing an environment's protection rules, as a pure decision on its stream.
public enum ProtectionDecisions {
    /// Sets `rules` on `environment` (nil or rules that demand nothing: removes them). Setting
    /// what is already in force writes nothing.
    /// `upstream` is the environment the rules' `upstream` names, as loaded (it must be another
    /// environment of the same project).
    public static func protect(_ environment: EnvironmentState?, rules: ProtectionRules?, upstream: EnvironmentState? = nil) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        if let rules {
            let problems = rules.problems
            guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid protection rules: " + problems.joined(separator: "; ")) }
            if let named = rules.upstream {
                guard named != environment.environmentID, let upstream, upstream.projectID == environment.projectID else {
                    throw CommandRejection(.invalid, "upstream \(named) must be another environment of project \(environment.projectID)")
                }
            }
        }
        let next = rules.flatMap { $0.demandsSomething ? $0 : nil }
        guard next != environment.protection else { return .nothing }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .environmentProtectionChanged(EnvironmentProtectionChanged(environmentID: environment.environmentID, rules: next))
            ])
        ])
    }

    /// Sets the freeze windows of an environment (`project` nil) or of a project, on its stream
    /// at the version seen. The same windows again write nothing.
    public static func setFreezeWindows(
        _ windows: [FreezeWindow], environment: EnvironmentState?, project: ProjectState?, ofProject: Bool
    ) throws -> Decision {
        guard windows.count <= FreezeWindow.maximumWindows else { throw CommandRejection(.invalid, "at most \(FreezeWindow.maximumWindows) freeze windows") }
        let problems = windows.flatMap(\.problems)
        guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid freeze windows: " + problems.joined(separator: "; ")) }
        guard Set(windows.map(\.name)).count == windows.count else { throw CommandRejection(.invalid, "two freeze windows have the same name") }
        if ofProject {
            guard let project else { throw CommandRejection(.notFound, "no such project") }
            guard project.freezeWindows != windows else { return .nothing }
            return Decision([
                .init(DomainIDs.projectStream(project.projectID), expectedVersion: .exact(project.version), [
                    .freezeWindowsChanged(FreezeWindowsChanged(scope: "project", targetID: project.projectID, windows: windows))
                ])
            ])
        }
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        guard environment.freezeWindows != windows else { return .nothing }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .freezeWindowsChanged(FreezeWindowsChanged(scope: "environment", targetID: environment.environmentID, windows: windows))
            ])
        ])
    }
}
