import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard: one page (HTML, CSS, JavaScript embedded in the binary, no external asset, no
/// build step) at `/dashboard/` (`/` leads there), over the same API a script uses. Served with
/// a Content Security Policy that allows this server only, so that nothing the page shows can
/// load or run code.
struct DashboardController: Sendable {
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// One file of the page, with its type and the entity tag of its bytes.
    struct File: Sendable {
        let bytes: [UInt8]
        let type: String
        var tag: String { "\"\(String(UInt32(truncatingIfNeeded: bytes.reduce(into: 5381) { $0 = ($0 &* 33) &+ Int($1) }), radix: 16))\"" }
    }

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        // `/dashboard` and `/dashboard/` are one route to the router.
        routes.get("/dashboard", use: serving(File(bytes: PackageResources.index_html, type: "text/html; charset=utf-8")))
        routes.get("/dashboard/app.js", use: serving(File(bytes: PackageResources.app_js, type: "text/javascript; charset=utf-8")))
        routes.get("/dashboard/app.css", use: serving(File(bytes: PackageResources.app_css, type: "text/css; charset=utf-8")))
        routes.get("/dashboard/governance.js", use: serving(File(bytes: PackageResources.governance_js, type: "text/javascript; charset=utf-8")))
        routes.get("/", use: home)
        return routes
    }

    /// `GET /`: leads to the dashboard.
    @Sendable func home(_ request: Request, context: GatewayContext) async throws -> Response {
        Response(status: .found, headers: [.location: "/dashboard/"])
    }

    /// Serves `file`, or `304` when the caller holds it already.
    func serving(_ file: File) -> @Sendable (Request, GatewayContext) async throws -> Response {
        let tag = file.tag
        return { request, _ in
            var headers = HTTPFields()
            headers[.contentType] = file.type
            headers[.cacheControl] = "no-cache"
            headers[.eTag] = tag
            headers[HTTPField.Name("Content-Security-Policy")!] = Self.securityPolicy
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: headers) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }
}
