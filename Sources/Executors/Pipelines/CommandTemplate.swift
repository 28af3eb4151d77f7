import ChildProcess
import Foundation
import Ledger
import LedgerDomain

/// `{{variable}}` placeholders in step commands: found when a pipeline is loaded (so an unknown
/// name is refused then, not half-way through a deployment) and replaced by shell-quoted values.
public enum CommandTemplate {
    /// Variables every deployment provides.
    public static let builtins: Set<String> = [
        "deployment_id", "release_id", "number", "environment", "project", "organisation", "commit", "branch", "tag",
        "repository", "rollback_release", "previous_release", "delete_data",
    ]

    /// The placeholder names in `template`, in order; nil names an unclosed `{{`.
    static func placeholders(in template: String) -> [String]? { EnvironmentConfiguration.placeholders(in: template) }

    /// The command with every placeholder replaced by its value, quoted for `/bin/sh`; a value
    /// cannot break out of its quotes whatever it contains.
    public static func render(_ template: String, values: [String: String]) -> String {
        var output = ""
        var rest = template[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            output += ShellCommand.quote(values[name] ?? "")
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}
