import Ledger
import Foundation

/// One step of a deployment pipeline, such as `pulling_image`.
///
/// The catalogue is the seed platform's step list; environments may name their own steps too
/// (lowercase letters, digits and `_`). Steps up to `generating_config` build, the rest deploy.
public struct DeploymentStep: Hashable, Sendable, Codable, CustomStringConvertible, RawRepresentable {
    public let rawValue: String

    public init?(rawValue: String) {
        // Checked on the UTF-8 bytes: every log line names its step, and this runs for each.
        guard !rawValue.isEmpty, rawValue.utf8.count <= 64,
            rawValue.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A pipeline from step ids as people and requests give them; an id that is not one is
    /// refused (`invalid`) naming it.
    public static func pipeline(_ ids: [String]) throws -> [DeploymentStep] {
        try ids.map {
            guard let step = DeploymentStep(rawValue: $0) else {
                throw CommandRejection(.invalid, "pipeline: '\($0)' is not a step id (lowercase letters, digits and _)")
            }
            return step
        }
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let step = DeploymentStep(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid step id '\(raw)'"))
        }
        self = step
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// A display name: `pulling_image` → `Pulling image`. (On bytes: an id is ASCII, and every
    /// deployment answer names each of its steps.)
    public var displayName: String {
        var bytes = Array(rawValue.utf8)
        for index in bytes.indices where bytes[index] == 0x5F { bytes[index] = 0x20 }
        if let first = bytes.first, (0x61...0x7A).contains(first) { bytes[0] = first - 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether running this step means the deployment is `deploying` rather than `building`.
    public var isDeployPhase: Bool { !Self.buildPhase.contains(rawValue) }

    static let buildPhase: Set<String> = [
        "initializing", "connecting", "creating_network", "configuring_dns", "creating_postgres",
        "cloning_platform_repos", "cloning_org_repos", "cloning_repo", "pulling_image", "generating_config",
    ]

    /// The seed platform's full pipeline, in order, from `initializing` to `completed`.
    public static let standardPipeline: [DeploymentStep] = [
        "initializing", "connecting", "creating_network", "configuring_dns", "creating_postgres",
        "cloning_platform_repos", "cloning_org_repos", "cloning_repo", "pulling_image", "generating_config",
        "starting_container", "installing_dependencies", "initializing_database", "verifying_dns",
        "configuring_traefik", "health_check", "completed",
    ].map { DeploymentStep(rawValue: $0)! }
}

/// The severity of a deployment log line.
public enum LogLevel: String, Codable, Sendable, CaseIterable, Comparable {
    case debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
