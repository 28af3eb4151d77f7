import Crypto
import Ledger
import LedgerZstd

/// Reads the events of one segment file back, decompressing and hashing the file as it goes
/// (one chunk at a time: memory stays bounded whatever the segment's size).
final class SegmentReader {
    let segment: ArchiveManifest.Segment
    private let file: InputFile
    private let decompressor: ZstdDecompressor
    private var records = ArchiveRecordReader()
    private var hasher = SHA256()
    private var ended = false
    /// Compressed bytes read so far.
    private(set) var compressedBytesRead: Int64 = 0

    init(directory: String, segment: ArchiveManifest.Segment) throws {
        self.segment = segment
        let path = directory + "/" + segment.file
        guard InputFile.exists(path) else { throw ArchiveError.invalid("\(segment.file) is missing") }
        file = try InputFile(opening: path)
        decompressor = try ZstdDecompressor()
    }

    /// The next event, or nil at the end of the file.
    /// - Throws: ``ArchiveError`` when the file does not decompress, or ends inside a record or frame.
    func next() throws -> RecordedEvent? {
        while true {
            if let event = try records.next() { return event }
            if ended { return nil }
            let more = try file.readChunk { chunk in
                hasher.update(bufferPointer: chunk)
                compressedBytesRead += Int64(chunk.count)
                do {
                    try decompressor.decompress(chunk) { records.feed($0) }
                } catch let error as ZstdError {
                    throw ArchiveError.invalid("\(segment.file) does not decompress: \(error.description)")
                }
            }
            if !more {
                ended = true
                guard decompressor.atFrameBoundary else { throw ArchiveError.invalid("\(segment.file) ends inside a zstd frame (cut short)") }
                guard records.leftoverBytes == 0 else { throw ArchiveError.invalid("\(segment.file) ends inside a record (cut short)") }
            }
        }
    }

    /// SHA-256 of the compressed bytes read (the whole file once ``next()`` returned nil).
    func fileHash() -> EventHash {
        EventHash(unchecked: Array(hasher.finalize()))
    }
}
