import Foundation
import PostgresNIO

/// Where the log's proof stands at a glance: the head, the newest seal, how many events are
/// not sealed yet, and the last full verification's result — what an auditor checks first.
public struct IntegritySummary: Sendable {
    /// The newest seal.
    public struct Seal: Sendable {
        public var number: Int64
        public var toPosition: Int64
        public var sealedAtMicroseconds: Int64
    }

    /// The last full verification.
    public struct Verification: Sendable {
        public var ok: Bool
        public var eventsChecked: Int64
        public var firstBadPosition: Int64?
        public var verifiedAtMicroseconds: Int64
    }

    public var headPosition: Int64
    public var lastSeal: Seal?
    public var unsealedEvents: Int64
    public var lastVerification: Verification?
}

extension EventStore {
    /// The log's ``IntegritySummary`` now.
    public func integritySummary() async throws -> IntegritySummary {
        let head = try await headPosition()
        let seal = try await client.liveQuery(
            """
            SELECT seal_number, to_position, (extract(epoch FROM sealed_at) * 1000000)::int8 FROM ledger.seals
            ORDER BY seal_number DESC LIMIT 1
            """, logger: logger
        ).first.map { row in
            let (number, to, at) = try row.decode((Int64, Int64, Int64).self)
            return IntegritySummary.Seal(number: number, toPosition: to, sealedAtMicroseconds: at)
        }
        let unsealed = try await client.liveQuery(
            "SELECT count(*)::int8 FROM ledger.events WHERE position > \(seal?.toPosition ?? 0)", logger: logger
        ).first?.decode(Int64.self) ?? 0
        let verification = try await client.liveQuery(
            """
            SELECT ok, events_checked, first_bad_position, (extract(epoch FROM verified_at) * 1000000)::int8 FROM ledger.verifications
            ORDER BY verified_at DESC LIMIT 1
            """, logger: logger
        ).first.map { row in
            let (ok, checked, bad, at) = try row.decode((Bool, Int64, Int64?, Int64).self)
            return IntegritySummary.Verification(ok: ok, eventsChecked: checked, firstBadPosition: bad, verifiedAtMicroseconds: at)
        }
        return IntegritySummary(headPosition: head, lastSeal: seal, unsealedEvents: unsealed, lastVerification: verification)
    }
}
