import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess

/// `POST /api/v1/tokens`.
struct TokenRequest: Decodable, Sendable {
    var name: String
    var role: Role
    var organizationID: String?
    var projectID: String?
    var expiresInDays: Int?
    /// The person the token belongs to (recorded as the person behind what it does).
    var user: String?
}

/// A token as listed: never its secret.
struct TokenBody: Encodable, Sendable {
    var id: String
    var name: String
    var hint: String
    var role: String
    var organizationID: String?
    var projectID: String?
    var expiresAt: String
    var lastUsedAt: String?
    var revoked: Bool
    var user: String?

    init(_ record: TokenStore.Record) {
        user = record.user
        id = record.tokenID
        name = record.name
        hint = record.hint
        role = record.role.rawValue
        organizationID = record.organisationID
        projectID = record.projectID
        expiresAt = Timestamps.format(record.expiresAtMicroseconds)
        lastUsedAt = record.lastUsedAtMicroseconds.map(Timestamps.format)
        revoked = record.revoked
    }
}

/// The answer to issuing a token: the secret, this once.
struct IssuedTokenBody: Encodable, Sendable {
    var token: String
    var record: TokenBody
}
