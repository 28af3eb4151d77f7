import Foundation
import Hummingbird
import Ledger
import LedgerDomain
import LedgerClient

/// A request the gateway refuses or cannot answer: an HTTP status and a message, sent as the JSON
/// body `{"error": {"code": "...", "message": "..."}}` so scripts can tell the cases apart.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds the client should wait before trying again (`Retry-After`), for 429 and 503.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static let unauthenticated = APIError(
        .unauthorized, "unauthenticated", "send a valid API token: Authorization: Bearer ldg_… (ledger tokens create)")
    static func forbidden(_ permission: Permission) -> APIError {
        APIError(.forbidden, "forbidden", "this token's role lacks the permission \(permission.rawValue)")
    }

    /// The JSON error response, naming the request it answers.
    func response(requestID: String? = nil) -> Response {
        let body = (try? JSONEncoder().encode(APIErrorBody(error: .init(code: code, message: message, requestID: requestID)))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        // The rest of a body past the limit is not read: the connection ends with the answer.
        if status == .contentTooLarge { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Hummingbird answers an `APIError` thrown anywhere with the same JSON shape.
extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(requestID: (context as? GatewayContext)?.requestID)
    }
}
