import Crypto
import Foundation
import Ledger
import LedgerDomain
import Logging
import NIOCore
import PostgresNIO

/// Removes old events from the hot database once an archive that covers them verifies
/// (`ledger prune`): the archive is checked offline, then compared with the log, then
/// `ledger.prune_events()` keeps a stub of each removed event and records the pruning, and an
/// ``EventsPruned`` event says so in the log itself.
public struct ArchivePruner: Sendable {
    /// What to prune.
    public struct Request: Sendable {
        public var before: Date
        /// Stream categories to prune from (empty: all).
        public var categories: [String] = ["deployment"]
        /// Event types to prune (empty: all) — by default only log lines.
        public var eventTypes: [String] = ["LogLinesAppended"]
        public var archive: String
        public var actor: String

        public init(before: Date, archive: String, actor: String) {
            self.before = before
            self.archive = archive
            self.actor = actor
        }
    }

    /// What a prune did.
    public struct Outcome: Sendable {
        public var pruned: EventsPruned?
        public var archive: ArchiveManifest
    }

    public let store: EventStore
    public let client: PostgresClient
    public let logger: Logger

    public init(store: EventStore, client: PostgresClient, logger: Logger) {
        self.store = store
        self.client = client
        self.logger = logger
    }

    public func prune(_ request: Request, progress: @escaping @Sendable (ArchiveProgress) -> Void = { _ in }) async throws -> Outcome {
        // 0. A pruning whose event never made it into the log (a crash right after it) gets it now.
        try await recordMissingEvents()
        // 1. The archive must verify on its own.
        let archiveHashes = ArchiveHashDigest()
        var verifier = ArchiveVerifier(directory: request.archive)
        verifier.onEvent = { archiveHashes.add($0.hash) }
        let total = (try? ArchiveManifest.read(from: request.archive))?.eventCount ?? 0
        verifier.progress = { events, bytes in progress(ArchiveProgress(events: events, totalEvents: total, bytes: bytes)) }
        let report = try verifier.verify()
        if let problem = report.problems.first {
            throw ArchiveError.invalid("the archive does not verify (\(problem)); nothing was pruned")
        }
        let manifest = report.manifest
        // 2. It must hold exactly what the log holds in its range (stubs of earlier prunings included).
        let (count, digest) = try await logDigest(from: manifest.fromPosition, to: manifest.toPosition)
        guard count == manifest.eventCount, digest == archiveHashes.finalize() else {
            throw ArchiveError.invalid(
                "the archive's events \(manifest.fromPosition)–\(manifest.toPosition) are not this log's (\(count) events here, other hashes); nothing was pruned")
        }
        // 3. Prune, keeping stubs and a record; 4. say so in the log.
        let rows = try await client.liveQuery("""
            SELECT pruning_number, event_count, digest FROM ledger.prune_events(
                \(manifest.fromPosition), \(manifest.toPosition), \(request.before), \(request.categories)::text[],
                \(request.eventTypes)::text[], \(ByteBuffer(bytes: manifest.digest.bytes)), \(request.actor))
            """, logger: logger)
        var pruned: EventsPruned?
        for (number, events, digest) in try rows.decode((Int64, Int64, ByteBuffer).self) {
            pruned = EventsPruned(
                pruningNumber: number, fromPosition: manifest.fromPosition, toPosition: manifest.toPosition, before: request.before,
                categories: request.categories, eventTypes: request.eventTypes, eventCount: events,
                digest: try EventHash(bytes: digest.readableBytesView).hex, archiveDigest: manifest.digest.hex, actor: request.actor)
        }
        if let pruned { try await record(pruned) }
        return Outcome(pruned: pruned, archive: manifest)
    }

    /// Appends the ``EventsPruned`` event of every recorded pruning that has none in the log yet,
    /// built from the pruning's own row; returns how many it appended.
    @discardableResult
    public func recordMissingEvents() async throws -> Int {
        let rows = try await client.liveQuery("""
            SELECT pruning_number, from_position, to_position, before, categories, event_types, event_count, digest, archive_digest, actor
            FROM ledger.prunings p
            WHERE NOT EXISTS (
                SELECT 1 FROM ledger.events e
                WHERE e.stream_id = \(EventsPruned.stream) AND e.event_type = \(EventsPruned.eventType)
                  AND (convert_from(e.data, 'UTF8')::jsonb->>'pruning_number')::bigint = p.pruning_number)
            ORDER BY pruning_number
            """, logger: logger)
        var missing: [EventsPruned] = []
        for (number, from, to, before, categories, types, count, digest, archive, actor) in try rows.decode(
            (Int64, Int64, Int64, Date, [String], [String], Int64, ByteBuffer, ByteBuffer, String).self)
        {
            missing.append(EventsPruned(
                pruningNumber: number, fromPosition: from, toPosition: to, before: before, categories: categories, eventTypes: types,
                eventCount: count, digest: try EventHash(bytes: digest.readableBytesView).hex,
                archiveDigest: try EventHash(bytes: archive.readableBytesView).hex, actor: actor))
        }
        for pruned in missing {
            logger.warning("recording a pruning that was never logged", metadata: ["ledger.pruning": "\(pruned.pruningNumber)"])
            try await record(pruned)
        }
        return missing.count
    }

    /// Appends the ``EventsPruned`` event with an id derived from the pruning, so recording it
    /// again (after a crash between the pruning and this append) writes nothing twice.
    func record(_ pruned: EventsPruned) async throws {
        let seed = Array(SHA256.hash(data: Data("ledger-pruning-\(pruned.pruningNumber)-\(pruned.digest)".utf8)))
        var bytes = Array(seed.prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x50
        bytes[8] = bytes[8] & 0x3F | 0x80
        let id = bytes.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        let metadata = EventMetadata(actor: pruned.actor, source: "ledger prune")
        _ = try await store.append(to: try StreamID(EventsPruned.stream), events: [try NewEvent(pruned, id: id, metadata: metadata)])
    }

    /// Count and SHA-256 over the hashes of positions `from`…`to`, events and pruning stubs alike.
    func logDigest(from: Int64, to: Int64) async throws -> (Int64, EventHash) {
        let rows = try await client.liveQuery("""
            SELECT count(*), sha256(coalesce(string_agg(hash, ''::bytea ORDER BY position), ''::bytea)) FROM (
                SELECT position, hash FROM ledger.events WHERE position BETWEEN \(from) AND \(to)
                UNION ALL
                SELECT position, hash FROM ledger.pruned_events WHERE position BETWEEN \(from) AND \(to)) everything
            """, logger: logger)
        for (count, digest) in try rows.decode((Int64, ByteBuffer).self) {
            return (count, try EventHash(bytes: digest.readableBytesView))
        }
        return (0, .zero)
    }
}

/// SHA-256 over event hashes fed in position order (what `string_agg(hash ORDER BY position)` hashes in SQL).
final class ArchiveHashDigest: @unchecked Sendable {
    private var hasher = SHA256()

    func add(_ hash: EventHash) { hasher.update(data: hash.bytes) }

    func finalize() -> EventHash { EventHash(unchecked: Array(hasher.finalize())) }
}
