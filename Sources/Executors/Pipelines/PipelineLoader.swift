import Foundation
import Ledger
import LedgerDomain
import Yams

/// Reads pipeline YAML files, refusing a malformed one with its file, line and reason.
///
/// ```yaml
/// description: Clone, link, install, switch, restart, health-check
/// variables: { deploy_path: "/srv/app", keep_releases: "5" }
/// steps:
///   - id: cloning_repo
///     name: Clone the commit
///     run: git clone {{repository}} {{deploy_path}}/releases/{{release_id}}
///     timeout: 5m
///     retries: 2
///     on_failure: fail        # or continue, rollback
/// ```
public enum PipelineLoader {
    /// Every `*.yml` / `*.yaml` file of `directory`, by operation name (the file name).
    public static func loadAll(directory: String) throws -> [String: Pipeline] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw PipelineError(file: directory, line: nil, reason: "cannot read the pipelines directory: \(error.localizedDescription)")
        }
        var pipelines: [String: Pipeline] = [:]
        for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            let pipeline = try load(file: directory + "/" + name)
            pipelines[pipeline.name] = pipeline
        }
        return pipelines
    }

    public static func load(file: String) throws -> Pipeline {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw PipelineError(file: file, line: nil, reason: "cannot read it: \(error.localizedDescription)")
        }
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return try parse(text, name: name, file: file)
    }

    public static func parse(_ text: String, name: String, file: String) throws -> Pipeline {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw PipelineError(file: file, line: line(of: error), reason: "not valid YAML: \(summary(of: error))")
        } catch {
            throw PipelineError(file: file, line: nil, reason: "not valid YAML: \(error)")
        }
        let reader = Reader(file: file)
        guard let root, let top = root.mapping else { throw reader.error(root, "the file must be a mapping with `steps`") }
        try reader.onlyKeys(top, ["description", "variables", "steps", "cleanup"])
        var variables: [String: String] = [:]
        if let node = top["variables"] {
            guard let mapping = node.mapping else { throw reader.error(node, "`variables` must map names to values") }
            for (key, value) in mapping {
                guard let variable = key.string, let text = value.string else { throw reader.error(key, "a variable needs a name and a text value") }
                variables[variable] = text
            }
        }
        guard let stepsNode = top["steps"], let list = stepsNode.sequence, !list.isEmpty else {
            throw reader.error(top["steps"] ?? root, "`steps` must be a list of at least one step")
        }
        var steps: [PipelineStep] = []
        for node in list {
            let step = try reader.step(node, known: CommandTemplate.builtins.union(variables.keys))
            if steps.contains(where: { $0.id == step.id }) { throw reader.error(node, "step `\(step.id)` is listed twice") }
            steps.append(step)
        }
        var cleanup: String?
        if let node = top["cleanup"] {
            guard let command = node.string, let names = CommandTemplate.placeholders(in: command) else {
                throw reader.error(node, "`cleanup` must be a shell command")
            }
            let known = CommandTemplate.builtins.union(variables.keys)
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw reader.error(node, "`cleanup` uses `{{\(unknown)}}`, which is neither built in nor declared under `variables`")
            }
            cleanup = command
        }
        return Pipeline(
            name: name, description: top["description"]?.string ?? "", variables: variables, steps: steps, cleanup: cleanup, file: file,
            fingerprint: Pipeline.fingerprint(of: text))
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }

    /// Reads typed fields off nodes, failing with the node's line.
    struct Reader {
        let file: String

        func error(_ node: Node?, _ reason: String) -> PipelineError {
            PipelineError(file: file, line: node?.mark?.line, reason: reason)
        }

        func onlyKeys(_ mapping: Node.Mapping, _ allowed: Set<String>) throws {
            for key in mapping.keys where !allowed.contains(key.string ?? "") {
                throw error(key, "unknown key `\(key.string ?? "?")` (expected one of \(allowed.sorted().joined(separator: ", ")))")
            }
        }

        func step(_ node: Node, known: Set<String>) throws -> PipelineStep {
            guard let fields = node.mapping else { throw error(node, "a step must be a mapping with id, name and run") }
            try onlyKeys(fields, ["id", "name", "description", "run", "timeout", "retries", "backoff", "on_failure"])
            guard let rawID = fields["id"]?.string else { throw error(node, "a step needs an `id`") }
            guard let id = DeploymentStep(rawValue: rawID) else {
                throw error(fields["id"], "`\(rawID)` is not a step id (lowercase letters, digits and _)")
            }
            guard let command = fields["run"]?.string, !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw error(node, "step `\(rawID)` needs a `run` command")
            }
            guard let names = CommandTemplate.placeholders(in: command) else { throw error(fields["run"], "step `\(rawID)`: an unclosed `{{`") }
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw error(fields["run"], "step `\(rawID)` uses `{{\(unknown)}}`, which is neither built in nor declared under `variables`")
            }
            var step = PipelineStep(
                id: id, name: fields["name"]?.string ?? id.displayName, description: fields["description"]?.string ?? "",
                command: command, timeout: .seconds(600))
            if let timeout = fields["timeout"] { step.timeout = try duration(timeout) }
            if let retries = fields["retries"] {
                guard let count = retries.int, (0...10).contains(count) else { throw error(retries, "`retries` must be 0–10") }
                step.retries = count
            }
            if let backoff = fields["backoff"] {
                guard let list = backoff.sequence, !list.isEmpty else { throw error(backoff, "`backoff` must be a list of durations") }
                step.backoff = try list.map(duration)
            }
            if let failure = fields["on_failure"] {
                guard let action = failure.string.flatMap(PipelineStep.FailureAction.init(rawValue:)) else {
                    throw error(failure, "`on_failure` must be fail, continue or rollback")
                }
                step.onFailure = action
            }
            return step
        }

        /// `90`, `90s`, `5m`, `1h`.
        func duration(_ node: Node) throws -> Duration {
            let text = node.string ?? ""
            let units: [(String, Int)] = [("h", 3_600), ("m", 60), ("s", 1)]
            var value = text
            var scale = 1
            if let unit = units.first(where: { text.hasSuffix($0.0) }) {
                value = String(text.dropLast())
                scale = unit.1
            }
            guard let number = Int(value), number > 0, number * scale <= 86_400 else {
                throw error(node, "`\(text)` is not a duration (like 30s, 5m or 1h, at most a day)")
            }
            return .seconds(number * scale)
        }
    }
}
