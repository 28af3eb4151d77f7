import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

/// The dashboard: one page (HTML, CSS, JavaScript embedded in the binary, no external asset, no
/// build step) at `/dashboard/` (`/` leads there), over the same API a script uses. Served with a Content Security
/// Policy that allows this server only, so that nothing the page shows can load or run code.
extension GatewayServer {
    static let dashboardSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    func addDashboardRoutes(to router: Router<GatewayContext>) {
        let files: [(path: String, bytes: [UInt8], type: String)] = [
            // `/dashboard` and `/dashboard/` are one route to the router.
            ("/dashboard", PackageResources.index_html, "text/html; charset=utf-8"),
            ("/dashboard/app.js", PackageResources.app_js, "text/javascript; charset=utf-8"),
            ("/dashboard/app.css", PackageResources.app_css, "text/css; charset=utf-8"),
        ]
        for file in files {
            let tag = "\"\(String(UInt32(truncatingIfNeeded: file.bytes.reduce(into: 5381) { $0 = ($0 &* 33) &+ Int($1) }), radix: 16))\""
            router.get(RouterPath(file.path)) { request, _ in
                var headers = HTTPFields()
                headers[.contentType] = file.type
                headers[.cacheControl] = "no-cache"
                headers[.eTag] = tag
                headers[HTTPField.Name("Content-Security-Policy")!] = Self.dashboardSecurityPolicy
                headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
                headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
                if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: headers) }
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
            }
        }
        router.get("/") { _, _ in
            Response(status: .found, headers: [.location: "/dashboard/"])
        }
    }

    /// `GET /api/v1/me` (who the token is and what it may do, for the page to offer only that)
    /// and `GET /api/v1/integrity` (head, last seal, last verification).
    func addSessionRoutes(to api: RouterGroup<GatewayContext>) {
        let store = store, timeout = requestTimeout
        api.get("/me") { _, context in
            let principal = try context.requirePrincipal()
            return try JSONResponse.encode(MeBody(principal), status: .ok)
        }
        api.get("/integrity") { _, context in
            await Self.answering(context, within: timeout) {
                _ = try context.require(.viewAudit)
                return try JSONResponse.encode(IntegrityBody(try await store.integritySummary()), status: .ok)
            }
        }
    }
}

/// The answer of `GET /api/v1/me`.
struct MeBody: Encodable {
    var tokenID: String
    var name: String
    var role: String
    var organizationID: String?
    var projectID: String?
    var permissions: [String]

    init(_ principal: Principal) {
        tokenID = principal.tokenID
        name = principal.name
        role = principal.role.rawValue
        organizationID = principal.organisation
        projectID = principal.project
        permissions = principal.role.permissions.map(\.rawValue).sorted()
    }

    enum CodingKeys: String, CodingKey {
        case name, role, permissions
        case tokenID = "token_id"
        case organizationID = "organization_id"
        case projectID = "project_id"
    }
}

/// The answer of `GET /api/v1/integrity`.
struct IntegrityBody: Encodable {
    struct Seal: Encodable {
        var sealNumber: Int64
        var toPosition: Int64
        var sealedAt: String
        enum CodingKeys: String, CodingKey {
            case sealNumber = "seal_number"
            case toPosition = "to_position"
            case sealedAt = "sealed_at"
        }
    }
    struct Verification: Encodable {
        var ok: Bool
        var eventsChecked: Int64
        var firstBadPosition: Int64?
        var verifiedAt: String
        enum CodingKeys: String, CodingKey {
            case ok
            case eventsChecked = "events_checked"
            case firstBadPosition = "first_bad_position"
            case verifiedAt = "verified_at"
        }
    }

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

    enum CodingKeys: String, CodingKey {
        case headPosition = "head_position"
        case lastSeal = "last_seal"
        case unsealedEvents = "unsealed_events"
        case lastVerification = "last_verification"
    }
}
