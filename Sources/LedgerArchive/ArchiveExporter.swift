import Foundation
import Ledger

/// Exports a range of the log into an archive directory (``ArchiveWriter``), reading the next
/// page from the database while the current one is compressed.
public struct ArchiveExporter: Sendable {
    public let store: EventStore
    public var options = ArchiveWriter.Options()
    /// Events per read from the database.
    public var batchSize = 5_000
    /// Seal what is not sealed yet before exporting, so the archive's range is covered by seals.
    public var sealFirst = true

    public init(store: EventStore) {
        self.store = store
    }

    /// Writes positions `from`…`through` (default: up to the head) into `directory`.
    public func export(
        from: Int64, through: Int64?, to directory: String, progress: @Sendable (ArchiveProgress) -> Void = { _ in }
    ) async throws -> ArchiveManifest {
        if sealFirst { _ = try await store.seal() }
        let head = try await store.headPosition()
        let last = min(through ?? head, head)
        guard from >= 1, from <= last else {
            throw ArchiveError.invalid(
                "nothing to archive: the log holds positions 1–\(head), and \(from)–\(through.map(String.init) ?? "the head") is not within them")
        }
        let writer = try ArchiveWriter(directory: directory, fromPosition: from, options: options)
        let total = last - from + 1
        let batch = batchSize
        var page = try await store.readAll(after: from - 1, limit: batch)
        while true {
            let events = page.events.prefix { $0.position <= last }
            let reached = events.last?.position ?? page.scannedThrough
            if reached >= last || (events.isEmpty && page.scannedThrough <= from - 1) {
                try writer.append(events)
                break
            }
            async let next = store.readAll(after: reached, limit: batch)
            try writer.append(events)
            progress(ArchiveProgress(events: writer.eventCount, totalEvents: total, bytes: writer.uncompressedBytes))
            page = try await next
        }
        guard writer.eventCount == total else {
            throw ArchiveError.invalid("the log ends at position \(from + writer.eventCount - 1), before \(last)")
        }
        let manifest = try writer.finish(seals: try await store.seals())
        progress(ArchiveProgress(events: writer.eventCount, totalEvents: total, bytes: writer.uncompressedBytes))
        return manifest
    }
}
