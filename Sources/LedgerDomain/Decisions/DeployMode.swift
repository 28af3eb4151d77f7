import Ledger

/// Fast or full deploy (seed 003): a push whose changed files include no dependency file can
/// skip installing dependencies (pull, restart, health check); anything else — a dependency file
/// changed, or no list of changed files at all — deploys in full.
public enum DeployMode: String, Sendable, Equatable {
    case fast, full

    /// The files whose change requires installing dependencies again (the seed's list).
    public static let dependencyFiles: Set<String> = [
        "requirements.txt", "apt.txt", "setup.py", "pyproject.toml", "setup.cfg", "Pipfile", "Pipfile.lock", "poetry.lock",
    ]

    /// The mode for a deployment of `git` started by `trigger`.
    public static func choose(trigger: DeploymentTrigger, git: GitReference) -> DeployMode {
        guard trigger == .gitPush, let changed = git.changedFiles else { return .full }
        let touchesDependencies = changed.contains { path in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return dependencyFiles.contains(name)
        }
        return touchesDependencies ? .full : .fast
    }
}
