/// The one JSON shape of every API error, `{"error": {"code", "message", "request_id"}}`: the
/// gateway writes it, the client reads it.
public struct APIErrorBody: Codable, Sendable, Equatable {
    /// What went wrong: a stable code, a message for people, the request it answers.
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var requestID: String?

        public init(code: String, message: String, requestID: String?) {
            self.code = code
            self.message = message
            self.requestID = requestID
        }

        enum CodingKeys: String, CodingKey {
            case code, message
            case requestID = "request_id"
        }
    }

    public var error: Detail

    public init(error: Detail) { self.error = error }
}
