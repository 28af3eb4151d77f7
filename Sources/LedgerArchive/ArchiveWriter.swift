import Foundation
import Ledger

/// Writes events, fed in position order, into an archive directory: zstd segment files of a
/// bounded number of events each and, at the end, the manifest. Knows nothing of databases
/// (``ArchiveExporter`` feeds it from the log).
public final class ArchiveWriter {
    /// How an archive is cut and compressed.
    public struct Options: Sendable {
        /// zstd's level; 3 is zstd's own default (and the `zstd` command's).
        public var level: Int32 = 3
        /// Events per segment file.
        public var segmentEvents: Int64 = 250_000
        /// Threads compressing beside the caller (0: on the calling thread).
        public var workers: Int32 = 0

        public init() {}
    }

    public let directory: String
    public let fromPosition: Int64
    let options: Options
    private var segments: [ArchiveManifest.Segment] = []
    private var current: SegmentWriter?
    private var nextPosition: Int64
    private var finishedBytes: (uncompressed: Int64, compressed: Int64) = (0, 0)

    /// Events written so far.
    public var eventCount: Int64 { nextPosition - fromPosition }
    /// Bytes before compression so far (encoded records).
    public var uncompressedBytes: Int64 { finishedBytes.uncompressed + (current?.uncompressedBytes ?? 0) }

    /// Prepares `directory` (created when missing; refused when it holds anything).
    public init(directory: String, fromPosition: Int64, options: Options = .init()) throws {
        guard fromPosition >= 1 else { throw ArchiveError.invalid("an archive starts at position 1 or later") }
        guard options.segmentEvents > 0 else { throw ArchiveError.invalid("a segment holds at least one event") }
        try prepareEmptyDirectory(directory)
        self.directory = directory
        self.fromPosition = fromPosition
        self.options = options
        nextPosition = fromPosition
    }

    /// Appends events; each must carry the next position (an archive has no holes).
    public func append(_ events: some Sequence<RecordedEvent>) throws {
        for event in events {
            guard event.position == nextPosition else {
                throw ArchiveError.invalid(
                    event.position > nextPosition
                        ? "position \(nextPosition) is missing from the log (pruned?); an archive holds consecutive positions only"
                        : "position \(event.position) arrived out of order; expected \(nextPosition)")
            }
            if current == nil {
                current = try SegmentWriter(
                    directory: directory, number: segments.count + 1, fromPosition: event.position,
                    level: options.level, workers: options.workers)
            }
            try current!.add(event)
            nextPosition += 1
            if current!.eventCount >= options.segmentEvents { try closeSegment() }
        }
    }

    /// Closes the last segment and writes the manifest, naming `seals` (the source's seals that
    /// overlap the range). Refuses an empty archive.
    public func finish(seals: [Seal], createdAt: Date = Date()) throws -> ArchiveManifest {
        try closeSegment()
        guard eventCount > 0 else { throw ArchiveError.invalid("nothing to archive: the range holds no events") }
        let last = nextPosition - 1
        var manifest = ArchiveManifest(
            format: ArchiveManifest.formatName, formatVersion: ArchiveManifest.currentFormatVersion, createdAt: createdAt,
            fromPosition: fromPosition, toPosition: last, eventCount: eventCount, compressionLevel: options.level,
            segments: segments,
            seals: seals.filter { $0.toPosition >= fromPosition && $0.fromPosition <= last }.sorted { $0.number < $1.number },
            digest: .zero)
        manifest.digest = manifest.computeDigest()
        try manifest.write(to: directory)
        return manifest
    }

    private func closeSegment() throws {
        guard let segment = current else { return }
        current = nil
        let described = try segment.close()
        finishedBytes.uncompressed += described.uncompressedBytes
        finishedBytes.compressed += described.compressedBytes
        segments.append(described)
    }
}
