import Crypto
import Ledger
import LedgerZstd

/// Writes one segment file: records encoded into a small buffer, compressed as they go,
/// written and hashed piece by piece (memory stays bounded whatever the segment's size).
final class SegmentWriter {
    let number: Int
    let fileName: String
    let fromPosition: Int64
    private(set) var toPosition: Int64
    private(set) var eventCount: Int64 = 0
    private(set) var uncompressedBytes: Int64 = 0
    private(set) var compressedBytes: Int64 = 0
    private let file: OutputFile
    private let compressor: ZstdCompressor
    private var hasher = SHA256()
    private var buffer: [UInt8] = []
    private static let flushBytes = 256 * 1024

    init(directory: String, number: Int, fromPosition: Int64, level: Int32, workers: Int32) throws {
        self.number = number
        self.fromPosition = fromPosition
        toPosition = fromPosition - 1
        fileName = "segment-" + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number) + ".zst"
        file = try OutputFile(creating: directory + "/" + fileName)
        compressor = try ZstdCompressor(level: level, workers: workers)
        buffer.reserveCapacity(Self.flushBytes + 64 * 1024)
    }

    func add(_ event: RecordedEvent) throws {
        try ArchiveRecord.append(event, to: &buffer)
        toPosition = event.position
        eventCount += 1
        if buffer.count >= Self.flushBytes { try flush() }
    }

    /// Ends the zstd frame, syncs the file and describes it for the manifest.
    func close() throws -> ArchiveManifest.Segment {
        try flush()
        try compressor.finish(into: write)
        try file.close()
        return ArchiveManifest.Segment(
            number: number, file: fileName, fromPosition: fromPosition, toPosition: toPosition, eventCount: eventCount,
            uncompressedBytes: uncompressedBytes, compressedBytes: compressedBytes,
            sha256: EventHash(unchecked: Array(hasher.finalize())))
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        uncompressedBytes += Int64(buffer.count)
        try buffer.withUnsafeBytes { try compressor.compress($0, into: write) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        compressedBytes += Int64(bytes.count)
        try file.write(bytes)
    }
}
