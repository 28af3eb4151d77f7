import Ledger

/// An API token was issued. Carries who may do what with it — never the secret or its hash.
public struct ApiTokenCreated: LedgerEvent, Equatable {
    public static let eventType = "ApiTokenCreated"
    public var tokenID: String
    public var name: String
    public var role: Role
    public var organisationID: String?
    public var projectID: String?
    /// The first characters of the token (`ldg_AbCd…`), so its owner can tell tokens apart.
    public var hint: String
    public var expiresAtMicroseconds: Int64
    /// The person the token belongs to, who is recorded as the person behind what it does.
    public var user: String?

    public init(
        tokenID: String, name: String, role: Role, organisationID: String?, projectID: String?, hint: String, expiresAtMicroseconds: Int64,
        user: String? = nil
    ) {
        self.user = user
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.organisationID = organisationID
        self.projectID = projectID
        self.hint = hint
        self.expiresAtMicroseconds = expiresAtMicroseconds
    }
}

/// An API token was revoked: from the next request on it is refused.
public struct ApiTokenRevoked: LedgerEvent, Equatable {
    public static let eventType = "ApiTokenRevoked"
    public var tokenID: String

    public init(tokenID: String) {
        self.tokenID = tokenID
    }
}
