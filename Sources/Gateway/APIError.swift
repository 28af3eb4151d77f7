import Foundation
import Hummingbird

/// A request the gateway refuses or cannot answer: an HTTP status and a message, sent as the JSON
/// body `{"error": {"code": "...", "message": "..."}}` so scripts can tell the cases apart.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    /// The body of an error response.
    struct Body: Codable, Sendable {
        struct Detail: Codable, Sendable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    func response() -> Response {
        let body = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message)))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
