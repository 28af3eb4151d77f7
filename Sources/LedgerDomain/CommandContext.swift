import Ledger
import Crypto
import Foundation

/// Who gives a command, on whose behalf and through what. The CLI builds one per command, the
/// HTTP API one per request; every event the command writes carries it in its metadata, so the
/// audit trail says who, through which program and request, and which events belong together.
public struct CommandContext: Sendable {
    /// What a caller may act on: a token of one organisation (or one project) sees nothing else.
    public struct Scope: Sendable, Equatable {
        public var organisation: String
        public var project: String?

        public init(organisation: String, project: String? = nil) {
            self.organisation = organisation
            self.project = project
        }
    }

    /// The person or service account acting.
    public var actor: String
    /// Which program carries the command (`cli`, `api`, `simulator`, …); the service's own when nil.
    public var source: String?
    /// The API request that carried the command.
    public var requestID: String?
    /// The caller's key for this command: sent again (a retry after a lost answer), the command
    /// is not carried out twice; the first outcome is answered instead.
    public var idempotencyKey: String?
    /// Groups every event this command causes, across streams.
    public var correlationID: UUID
    /// The event or command that caused this one (an executor reacting to an event).
    public var causationID: UUID?
    /// Where the caller may act; nil for an operator who may act everywhere.
    public var scope: Scope?
    /// Whether the caller may change an environment's settings that are code (commands, URLs,
    /// paths, its pipeline, where it runs): operators may; an API token only with the
    /// permission `org.pipelines.manage`.
    public var mayChangeCode = true
    /// The person of record acting: the user a token belongs to, the operator at the CLI, a
    /// push's author. Nil when only a token is known; separation of duties then goes by ``actor``.
    public var person: String?
    /// The role the caller acts with; nil for an operator, who may do everything.
    public var role: Role?
    /// Whether the caller may deploy where the protection rules demand `project.production.deploy`.
    public var mayDeployProtected: Bool { role?.permissions.contains(.deployProtected) ?? true }
    /// Who approves or rejects when this caller does.
    public var approver: Approver { Approver(person: person ?? actor, role: role) }
    /// Set by a caller that knows this is the first send of its idempotency key (an executor's
    /// own write, keyed so that a resend after an unknown outcome is recognised): the look-up
    /// for an earlier outcome is skipped on the first attempt.
    public var firstSend = false

    public init(
        actor: String, source: String? = nil, requestID: String? = nil, idempotencyKey: String? = nil, correlationID: UUID = UUID(),
        causationID: UUID? = nil, scope: Scope? = nil
    ) {
        self.actor = actor
        self.source = source
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.correlationID = correlationID
        self.causationID = causationID
        self.scope = scope
    }

    /// The id a deployment this command starts gets: derived from the idempotency key when
    /// there is one (so a resent command names the same deployment), new otherwise.
    public func newDeploymentID() -> String {
        guard let idempotencyKey else { return DomainIDs.newDeploymentID() }
        return Self.derivedID(idempotencyKey, "deployment").uuidString.lowercased()
    }

    /// The id of the `index`th event the command writes, derived from the idempotency key.
    func eventID(_ index: Int) -> UUID? {
        idempotencyKey.map { Self.derivedID($0, "event-\(index)") }
    }

    /// A UUID (version 8, RFC 9562) from SHA-256 of the key and a label.
    static func derivedID(_ key: String, _ label: String) -> UUID {
        var bytes = Array(SHA256.hash(data: Data("ledger-idempotency\u{0}\(key)\u{0}\(label)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Refuses a command whose target lies outside the caller's scope — as "no such `what`",
    /// word for word what a target that does not exist gets, so a caller cannot learn what
    /// exists elsewhere.
    public func requireInScope(organisation: String?, project: String?, what: String = "target") throws {
        guard let scope else { return }
        guard let organisation, organisation == scope.organisation else { throw CommandRejection(.notFound, "no such \(what)") }
        if let only = scope.project, let project, project != only { throw CommandRejection(.notFound, "no such \(what)") }
    }
}
