import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess

/// The answer of `GET /api/v1/me`.
struct MeBody: Encodable {
    var tokenID: String
    var name: String
    var role: String
    var organizationID: String?
    var projectID: String?
    var permissions: [String]
    /// The person the token belongs to, when it was issued to one.
    var user: String?

    init(_ principal: Principal) {
        user = principal.user
        tokenID = principal.tokenID
        name = principal.name
        role = principal.role.rawValue
        organizationID = principal.organisation
        projectID = principal.project
        permissions = principal.role.permissions.map(\.rawValue).sorted()
    }
}

/// The answer of `GET /api/v1/integrity`.
struct IntegrityBody: Encodable {
    struct Seal: Encodable {
        var sealNumber: Int64
        var toPosition: Int64
        var sealedAt: String    }
    struct Verification: Encodable {
        var ok: Bool
        var eventsChecked: Int64
        var firstBadPosition: Int64?
        var verifiedAt: String    }

    var headPosition: Int64
    var lastSeal: Seal?
    var unsealedEvents: Int64
    var lastVerification: Verification?

    init(_ summary: IntegritySummary) {
        headPosition = summary.headPosition
        lastSeal = summary.lastSeal.map { Seal(sealNumber: $0.number, toPosition: $0.toPosition, sealedAt: Timestamps.format($0.sealedAtMicroseconds)) }
        unsealedEvents = summary.unsealedEvents
        lastVerification = summary.lastVerification.map {
            Verification(ok: $0.ok, eventsChecked: $0.eventsChecked, firstBadPosition: $0.firstBadPosition, verifiedAt: Timestamps.format($0.verifiedAtMicroseconds))
        }
    }
}
