import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import Logging
import NIOCore

/// What the gateway knows about one request besides the request itself: its id (the caller's
/// `X-Request-Id` when well-formed, else a new one) and, on `/api/v1`, the token's principal.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var principal: Principal?
    /// The request's connection (a live stream watches it for the client hanging up).
    public let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The principal, which the authentication middleware guarantees on `/api/v1` routes.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated }
        return principal
    }

    /// The principal, if its role has `permission`.
    func require(_ permission: Permission) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.may(permission) else { throw APIError.forbidden(permission) }
        return principal
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: the id a caller gives a request, echoed on its response.
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    /// `X-Next-Cursor`: the opaque cursor of a list's next page.
    static let xNextCursor = HTTPField.Name("X-Next-Cursor")!
    /// `X-Total-Count`: how many items a list's filters match in all (where that is cheap to count).
    static let xTotalCount = HTTPField.Name("X-Total-Count")!
}
