import Ledger

/// A request access control refuses: a stable code (in ``ErrorTable``) and a message safe to show.
public struct AccessRefusal: CodedError, Sendable {
    /// Why it was refused. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable {
        let name: String
        /// An idempotency key sent again with another body.
        public static let idempotencyKeyReused = Code(name: "idempotency_key_reused")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var errorCode: String { code.name }
    public var description: String { message }
}
