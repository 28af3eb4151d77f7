import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

/// What an import loaded.
public struct ImportSummary: Sendable {
    public var events: Int64
    public var streams: Int64
    public var seals: Int
    public var lastPosition: Int64
}

/// Loads archives into an empty database: the same events at the same positions, with the same
/// versions and hashes; then the stream heads, the head counter and the seals. Everything
/// happens in one transaction, checked as it streams in (segment hashes, hash chains, seals,
/// no holes): a bad archive, a non-empty database or a second import changes nothing.
public struct ArchiveImporter: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Imports `directories`, which together must hold positions 1…N in order.
    public func importArchives(_ directories: [String], progress: @escaping @Sendable (ArchiveProgress) -> Void = { _ in }) async throws -> ImportSummary {
        guard !directories.isEmpty else { throw ArchiveError.invalid("name at least one archive directory") }
        let manifests = try directories.map { try ArchiveManifest.read(from: $0) }
        try Self.checkOrder(manifests, directories)
        let total = manifests.reduce(0) { $0 + $1.eventCount }
        let last = manifests.last!.toPosition
        let seals = Self.sealsToKeep(manifests)
        return try await client.withLiveConnection { connection in
            try await connection.inTransaction(logger: logger) { connection in
                try await Self.requireEmpty(connection, logger: logger)
                var chain = ChainVerifier(seals: seals)
                try await connection.copyFrom(table: CopyTextEncoder.table, columns: CopyTextEncoder.columns, logger: logger) { writer in
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(2 << 20)
                    var encoder = CopyTextEncoder()
                    var bytesRead: Int64 = 0
                    for (directory, manifest) in zip(directories, manifests) {
                        for segment in manifest.segments {
                            let reader = try SegmentReader(directory: directory, segment: segment)
                            while let event = try reader.next() {
                                chain.check(event)
                                if let problem = chain.problems.first {
                                    throw ArchiveError.invalid("\(directory)/\(segment.file): \(problem); nothing was imported")
                                }
                                try encoder.append(event, to: &buffer)
                                if buffer.readableBytes >= 1 << 20 {
                                    try await writer.write(buffer)
                                    buffer.clear()
                                    progress(ArchiveProgress(events: chain.eventsChecked, totalEvents: total, bytes: bytesRead + reader.compressedBytesRead))
                                }
                            }
                            guard reader.fileHash() == segment.sha256 else {
                                throw ArchiveError.invalid("\(directory)/\(segment.file): the file's SHA-256 differs from the manifest's; nothing was imported")
                            }
                            bytesRead += reader.compressedBytesRead
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    progress(ArchiveProgress(events: chain.eventsChecked, totalEvents: total, bytes: bytesRead))
                }
                chain.finish(headPosition: last, streamHeads: nil)
                if let problem = chain.firstProblem { throw ArchiveError.invalid("\(problem); nothing was imported") }
                return try await Self.recordHeads(connection, last: last, seals: seals, events: chain.eventsChecked, logger: logger)
            }
        }
    }

    /// Archives must each be consistent and follow one another from position 1.
    static func checkOrder(_ manifests: [ArchiveManifest], _ directories: [String]) throws {
        var expected: Int64 = 1
        for (manifest, directory) in zip(manifests, directories) {
            if let problem = ArchiveVerifier.manifestProblems(manifest).first {
                throw ArchiveError.invalid("\(directory): \(problem); run `ledger verify --archive \(directory)`")
            }
            guard manifest.fromPosition == expected else {
                throw ArchiveError.invalid(
                    expected == 1
                        ? "\(directory) starts at position \(manifest.fromPosition): an import starts from position 1 (give the earlier archives first)"
                        : "\(directory) starts at position \(manifest.fromPosition), but the archive before it ends at \(expected - 1)")
            }
            expected = manifest.toPosition + 1
        }
    }

    /// The seals wholly inside the imported range, once each.
    static func sealsToKeep(_ manifests: [ArchiveManifest]) -> [Seal] {
        let last = manifests.last!.toPosition
        var byNumber: [Int64: Seal] = [:]
        for seal in manifests.flatMap(\.seals) where seal.toPosition <= last { byNumber[seal.number] = seal }
        return byNumber.values.sorted { $0.number < $1.number }
    }

    static func requireEmpty(_ connection: PostgresConnection, logger: Logger) async throws {
        var head: Int64 = 0
        // Locking the head row also keeps appends and a second import out until this one ends.
        for try await position in try await connection.query("SELECT position FROM ledger.head FOR UPDATE", logger: logger).decode(Int64.self) {
            head = position
        }
        var events: Int64 = 0
        for try await count in try await connection.query("SELECT count(*) FROM (SELECT 1 FROM ledger.events LIMIT 1) e", logger: logger).decode(Int64.self) {
            events = count
        }
        guard head == 0 && events == 0 else {
            throw ArchiveError.invalid(
                "the database is not empty (its log is at position \(head)): an import needs a new, migrated database, so nothing was imported")
        }
    }

    static func recordHeads(_ connection: PostgresConnection, last: Int64, seals: [Seal], events: Int64, logger: Logger) async throws -> ImportSummary {
        try await connection.query("""
            INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
            SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash, position
            FROM ledger.events ORDER BY stream_id, stream_version DESC
            """, logger: logger)
        try await connection.query("""
            UPDATE ledger.head SET position = e.position, last_hash = e.hash,
                recorded_at_us = (extract(epoch FROM e.recorded_at) * 1000000)::bigint
            FROM (SELECT position, recorded_at, hash FROM ledger.events WHERE position = \(last)) e
            """, logger: logger)
        for seal in seals { try await connection.query(seal.insertQuery, logger: logger) }
        var streams: Int64 = 0
        for try await count in try await connection.query("SELECT count(*) FROM ledger.streams", logger: logger).decode(Int64.self) {
            streams = count
        }
        return ImportSummary(events: events, streams: streams, seals: seals.count, lastPosition: last)
    }
}
