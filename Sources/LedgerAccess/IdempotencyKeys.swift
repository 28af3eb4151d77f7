import Crypto
import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

/// Remembers what body each `Idempotency-Key` came with, so that the same key with another
/// body is refused (`idempotency_key_reused`) instead of being answered as a retry of something else.
public struct IdempotencyKeys: Sendable {
    let client: PostgresClient
    let logger: Logging.Logger

    public init(client: PostgresClient, logger: Logging.Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records `key` with `body` on first use; refuses it if it was used with another body.
    public func check(_ key: String, body: ByteBuffer) async throws {
        let hash = ByteBuffer(bytes: Array(SHA256.hash(data: Data(body.readableBytesView))))
        let rows = try await client.liveQuery(
            """
            WITH inserted AS (
                INSERT INTO auth.idempotency_keys (key, body_hash) VALUES (\(key), \(hash)) ON CONFLICT (key) DO NOTHING RETURNING body_hash
            )
            SELECT body_hash FROM inserted UNION ALL SELECT body_hash FROM auth.idempotency_keys WHERE key = \(key) LIMIT 1
            """, logger: logger)
        guard let first = try rows.first?.decode(ByteBuffer.self), first == hash else {
            throw AccessRefusal(.idempotencyKeyReused, "this Idempotency-Key was used with another body")
        }
    }
}
