import Crypto
import Foundation
import HTTPTypes
import Ledger
import PostgresNIO

/// Remembers what body each `Idempotency-Key` came with, so that the same key with another
/// body is refused (422) instead of being answered as a retry of something else.
struct IdempotencyKeys: Sendable {
    let client: PostgresClient
    let logger: Logging.Logger

    /// Records `key` with `body` on first use; refuses it if it was used with another body.
    func check(_ key: String, body: ByteBuffer) async throws {
        let hash = ByteBuffer(bytes: Array(SHA256.hash(data: Data(body.readableBytesView))))
        let rows = try await client.liveQuery(
            """
            WITH inserted AS (
                INSERT INTO auth.idempotency_keys (key, body_hash) VALUES (\(key), \(hash)) ON CONFLICT (key) DO NOTHING RETURNING body_hash
            )
            SELECT body_hash FROM inserted UNION ALL SELECT body_hash FROM auth.idempotency_keys WHERE key = \(key) LIMIT 1
            """, logger: logger)
        guard let first = try rows.first?.decode(ByteBuffer.self), first == hash else {
            throw APIError(.unprocessableContent, "idempotency_key_reused", "this Idempotency-Key was used with another body")
        }
    }
}
