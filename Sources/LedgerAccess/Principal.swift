import Ledger
import LedgerDomain

/// Who a request acts as: a verified API token's role and scope.
public struct Principal: Sendable, Equatable {
    public var tokenID: String
    /// The token's name, recorded as the actor of what it does.
    public var name: String
    public var role: Role
    /// Nil only for a portal admin, who may act in every organisation.
    public var organisation: String?
    /// Set for project roles.
    public var project: String?
    /// The person the token belongs to, when it was issued to one.
    public var user: String?

    public init(tokenID: String, name: String, role: Role, organisation: String?, project: String?, user: String? = nil) {
        self.user = user
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.organisation = organisation
        self.project = project
    }

    /// Who the audit trail records: the person (`user:alice@example.com`) when the token belongs
    /// to one, else the token (`token:ci`).
    public var actor: String { user.map { "user:\($0)" } ?? "token:\(name)" }

    public func may(_ permission: Permission) -> Bool { role.permissions.contains(permission) }

    /// Whether something of `organisation` (and `project`, when it belongs to one) is visible
    /// to this principal at all; what is not visible is answered as not found.
    public func sees(organisation other: String?, project otherProject: String? = nil) -> Bool {
        guard let organisation else { return true }
        guard other == organisation else { return false }
        guard let project else { return true }
        return otherProject == nil || otherProject == project
    }

    /// The command context of a request made with this token.
    public func context(requestID: String?, idempotencyKey: String?) -> CommandContext {
        var context = CommandContext(
            actor: actor, source: "api", requestID: requestID, idempotencyKey: idempotencyKey,
            scope: organisation.map { CommandContext.Scope(organisation: $0, project: project) })
        context.mayChangeCode = may(.managePipelines)
        context.person = user
        context.role = role
        return context
    }
}
