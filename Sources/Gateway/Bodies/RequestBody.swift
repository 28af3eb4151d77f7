import Foundation
import Hummingbird
import Ledger

/// Reads a JSON request body: at most ``maximumBytes`` (413 beyond), `application/json` only
/// (415 otherwise), one strict JSON object (400 otherwise) that keeps to the OpenAPI document's
/// schema of that body (422 naming the field: unknown, missing, of the wrong type, out of
/// range, not matching its pattern). Nothing is written before a body has passed.
enum RequestBody {
    static let maximumBytes = 64 * 1024

    /// The body's bytes, refused past ``maximumBytes``.
    static func read(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw APIError(.contentTooLarge, "payload_too_large", "the body may be at most \(maximumBytes) bytes")
        }
    }

    /// `bytes` (read from `request`) decoded as `T`; an empty body is `{}` when `allowEmpty`.
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: ByteBuffer, of request: Request, allowEmpty: Bool = false) throws -> T {
        if bytes.readableBytes == 0, allowEmpty { return try APIJSON.decode(T.self, from: Data("{}".utf8)) }
        guard (request.headers[.contentType]?.lowercased() ?? "").hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the body as Content-Type: application/json")
        }
        let data = Data(bytes.readableBytesView)
        if String(decoding: data, as: UTF8.self).lowercased().contains("\\u0000") {
            throw APIError(.unprocessableContent, "invalid", "strings may not contain NUL characters (\\u0000)")
        }
        // Strict RFC 8259: no byte-order mark, no trailing comma, nothing after the object.
        guard JSONObjectCheck.isObject(data), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw APIError(.badRequest, "bad_request", "the body must be one JSON object (RFC 8259: no byte-order mark, no trailing commas)")
        }
        // The document's schema of this body (named as its type is), enforced as documented.
        if let schema = RequestSchema.requests[String(describing: T.self)], let problem = schema.problem(with: value) {
            throw APIError(.unprocessableContent, "invalid", problem)
        }
        do {
            return try APIJSON.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError(.unprocessableContent, "invalid", Self.describe(error))
        }
    }

    /// Which field is wrong and why, in words.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map { APIJSON.wireName($0.stringValue) }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)) must be \(type == String.self ? "a string" : "\(type)")"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) must not be null"
        case .dataCorrupted(let context): return "\(path(context.codingPath)) is not valid: \(context.debugDescription)"
        @unknown default: return "the body does not match the expected shape"
        }
    }
}
