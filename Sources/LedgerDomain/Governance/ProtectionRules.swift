import Ledger
import Foundation

/// What an environment demands before a deployment may run there: approvals by eligible
/// reviewers (never the requester), the refs it may deploy, and the permission to deploy there
/// at all (the seed's `project.production.deploy`). Recorded on the environment's stream
/// (``EnvironmentProtectionChanged``), so the rules in force at any past instant are history.
public struct ProtectionRules: Codable, Sendable, Hashable {
    /// Who may approve: holders of one of `roles`, or the people named in `users`. Both empty:
    /// anyone whose role has the permission `project.deployments.approve`.
    public struct Reviewers: Codable, Sendable, Hashable {
        public var roles: [Role]
        public var users: [String]

        public init(roles: [Role] = [], users: [String] = []) {
            self.roles = roles
            self.users = users
        }

        public var isUnconstrained: Bool { roles.isEmpty && users.isEmpty }

        /// Whether `approver` is one of them; nil when so, else why not.
        public func refusal(of approver: Approver) -> String? {
            if isUnconstrained || users.contains(approver.person) { return nil }
            if let role = approver.role, roles.contains(role) { return nil }
            var named: [String] = []
            if !roles.isEmpty { named.append("the roles " + roles.map(\.rawValue).joined(separator: ", ")) }
            if !users.isEmpty { named.append("the users " + users.joined(separator: ", ")) }
            return "\(approver.person) is not an eligible reviewer here (eligible: \(named.joined(separator: "; ")))"
        }
    }

    /// How many distinct eligible people must approve (0: no approval needed).
    public var requiredApprovals: Int
    public var reviewers: Reviewers
    /// Branch or tag patterns a deployment's reference must match (`main`, `release/*`, `v*`);
    /// empty: any. A rollback is not checked (it returns to what once passed).
    public var allowedRefs: [String]
    /// Whether deploying here needs the permission `project.production.deploy`.
    public var deployPermission: Bool
    /// How long an approval counts, in hours.
    public var approvalLifetimeHours: Int
    /// The environment of the same project a commit must have succeeded in first (staging
    /// before production); the evidence is recorded with the request.
    public var upstream: String?
    /// Minutes a deployment waits after it is requested before it may run (GitHub's wait timer:
    /// 0–43,200), approved or not.
    public var waitMinutes: Int

    public init(
        requiredApprovals: Int = 0, reviewers: Reviewers = Reviewers(), allowedRefs: [String] = [], deployPermission: Bool = false,
        approvalLifetimeHours: Int = Self.defaultApprovalLifetimeHours, upstream: String? = nil, waitMinutes: Int = 0
    ) {
        self.waitMinutes = waitMinutes
        self.upstream = upstream
        self.requiredApprovals = requiredApprovals
        self.reviewers = reviewers
        self.allowedRefs = allowedRefs
        self.deployPermission = deployPermission
        self.approvalLifetimeHours = approvalLifetimeHours
    }

    public static let defaultApprovalLifetimeHours = 72
    public static let maximumApprovals = 6
    public static let maximumApprovalLifetimeHours = 720
    public static let maximumWaitMinutes = 43_200

    /// Rules that demand nothing.
    public static let open = ProtectionRules()


    /// Why these rules cannot be used; empty when they can.
    public var problems: [String] {
        var problems: [String] = []
        if !(0...Self.maximumApprovals).contains(requiredApprovals) {
            problems.append("required approvals must be 0–\(Self.maximumApprovals)")
        }
        if !(1...Self.maximumApprovalLifetimeHours).contains(approvalLifetimeHours) {
            problems.append("an approval's lifetime must be 1–\(Self.maximumApprovalLifetimeHours) hours")
        }
        if reviewers.users.count > 50 || reviewers.users.contains(where: { !Self.isPersonName($0) }) {
            problems.append("reviewers are at most 50 people, each named by 1–200 printable characters")
        }
        if Set(reviewers.roles).count != reviewers.roles.count { problems.append("a reviewer role is named twice") }
        if let upstream, (try? DomainIDs.validate(upstream, kind: "environment")) == nil { problems.append("upstream must be an environment id") }
        if !(0...Self.maximumWaitMinutes).contains(waitMinutes) { problems.append("the wait timer is 0–\(Self.maximumWaitMinutes) minutes") }
        if allowedRefs.count > 50 { problems.append("at most 50 allowed ref patterns") }
        for pattern in allowedRefs where !RefPattern.isValid(pattern) {
            problems.append("allowed ref '\(pattern.prefix(80))' must be a branch or tag name, with * for any characters")
        }
        return problems
    }

    /// Whether the rules demand anything at all.
    public var demandsSomething: Bool { requiredApprovals > 0 || !allowedRefs.isEmpty || deployPermission || upstream != nil || waitMinutes > 0 }

    /// A person's name or address as the ledger records it: 1–200 characters, no control
    /// characters, not starting or ending with a space (the API document says the same).
    public static func isPersonName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        let control = { (scalar: Unicode.Scalar) in scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard (1...200).contains(scalars.count), !scalars.contains(where: control) else { return false }
        return scalars.first != " " && scalars.last != " "
    }
}

/// Who approves or rejects: the person, and the role they act with (nil for an operator at the CLI).
public struct Approver: Sendable, Equatable {
    public var person: String
    public var role: Role?

    public init(person: String, role: Role?) {
        self.person = person
        self.role = role
    }
}

/// A branch or tag pattern: literal characters and `*` for any run of characters (`/` included).
public enum RefPattern {
    public static func isValid(_ pattern: String) -> Bool {
        guard (1...255).contains(pattern.count) else { return false }
        let literal = pattern.replacingOccurrences(of: "*", with: "x")
        return GitRefRules.problem(name: literal, what: "ref") == nil
    }

    /// Whether `name` matches `pattern` as a whole.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == name }
        guard name.hasPrefix(parts[0]), name.hasSuffix(parts[parts.count - 1]),
            name.count >= parts[0].count + parts[parts.count - 1].count
        else { return false }
        var rest = name.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count)
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let found = rest.range(of: middle) else { return false }
            rest = rest[found.upperBound...]
        }
        return true
    }
}
