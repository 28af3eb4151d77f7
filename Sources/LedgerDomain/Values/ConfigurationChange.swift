import Ledger

/// One setting of an environment's configuration that a command changed, before and after (nil:
/// absent), as the audit trail shows it. Settings that are code — every command, URL and path a
/// pipeline runs, the pipeline's steps, and where it runs (host, user, port, server) — are told
/// apart from data (resources, branch, auto-deploy, whole-number settings), because changing
/// code needs the stronger permission `org.pipelines.manage`.
public struct ConfigurationChange: Codable, Sendable, Equatable {
    /// `host`, `cpu_millicores`, `settings.install_command`, …
    public var field: String
    public var before: String?
    public var after: String?

    public init(field: String, before: String?, after: String?) {
        self.field = field
        self.before = before
        self.after = after
    }

    /// Whether the field is code (see the type's description).
    public var isCode: Bool {
        switch field {
        case "cpu_millicores", "memory_mb", "disk_gb", "branch", "auto_deploy": false
        case let name where name.hasPrefix("settings."):
            !EnvironmentConfiguration.isNumericSetting(String(name.dropFirst("settings.".count)))
        default: true
        }
    }

    /// `install_command: 'true' → 'make'` for people.
    public var summary: String {
        func shown(_ value: String?) -> String {
            guard let value else { return "(unset)" }
            let flat = value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : String($0) }.joined()
            return "'" + (flat.count > 80 ? String(flat.prefix(77)) + "…" : flat) + "'"
        }
        return "\(field): \(shown(before)) → \(shown(after))"
    }
}

extension EnvironmentConfiguration {
    /// Settings whose names say they hold a whole number (`lock_minutes`, `keep_releases`,
    /// `health_attempts`, `app_port`, …): data, refused unless digits.
    public static func isNumericSetting(_ name: String) -> Bool {
        ["_minutes", "_seconds", "_attempts", "_releases", "_port", "_count"].contains { name.hasSuffix($0) }
    }

    /// What a new environment's configuration is compared with: nothing placed, no settings.
    static let blank = EnvironmentConfiguration(host: "", resources: .zero)

    /// Every field that differs from `previous` (or from a blank configuration), in a stable order.
    public func changes(from previous: EnvironmentConfiguration?) -> [ConfigurationChange] {
        let before = previous ?? Self.blank
        var changes: [ConfigurationChange] = []
        func compare(_ field: String, _ old: String?, _ new: String?) {
            if old != new { changes.append(ConfigurationChange(field: field, before: old, after: new)) }
        }
        compare("host", before.host.isEmpty ? nil : before.host, host)
        compare("ssh_user", before.sshUser, sshUser)
        compare("ssh_port", String(before.sshPort), String(sshPort))
        compare("pipeline", before.pipeline.map(\.rawValue).joined(separator: ","), pipeline.map(\.rawValue).joined(separator: ","))
        compare("server", before.server, server)
        compare("cpu_millicores", String(before.resources.cpuMillicores), String(resources.cpuMillicores))
        compare("memory_mb", String(before.resources.memoryMB), String(resources.memoryMB))
        compare("disk_gb", String(before.resources.diskGB), String(resources.diskGB))
        compare("branch", before.branch, branch)
        compare("auto_deploy", String(before.autoDeploy), String(autoDeploy))
        compare("auto_delete", String(before.autoDelete ?? false), String(autoDelete ?? false))
        compare("push_automation", String(before.pushAutomation ?? true), String(pushAutomation ?? true))
        let old = before.settings ?? [:], new = settings ?? [:]
        for name in Set(old.keys).union(new.keys).sorted() { compare("settings." + name, old[name], new[name]) }
        return changes
    }
}
