import Foundation
import LedgerArchive
import LedgerZstd

/// File-to-file helpers for `ledger-bench archive`: the archive's record bytes as one plain file
/// (what the `zstd` command is given), and the archive's own compressor over such a file.
enum ArchiveBenchmarks {
    /// Decompresses every segment of the archive at `directory`, concatenated, into `path`.
    static func decompress(_ manifest: ArchiveManifest, in directory: String, to path: String) throws {
        let out = try OutputFile(creating: path)
        for segment in manifest.segments {
            let file = try InputFile(opening: directory + "/" + segment.file)
            let decompressor = try ZstdDecompressor()
            while try file.readChunk({ chunk in try decompressor.decompress(chunk) { try out.write($0) } }) {}
        }
        try out.close()
    }

    /// Compresses `source` into `destination` as one zstd frame; returns the compressed size.
    static func compress(_ source: String, to destination: String, level: Int32) throws -> Int64 {
        let input = try InputFile(opening: source)
        let out = try OutputFile(creating: destination)
        let compressor = try ZstdCompressor(level: level)
        var written: Int64 = 0
        let sink: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            written += Int64(bytes.count)
            try out.write(bytes)
        }
        while try input.readChunk({ try compressor.compress($0, into: sink) }) {}
        try compressor.finish(into: sink)
        try out.close()
        return written
    }

    /// The size of the file at `path`.
    static func size(_ path: String) throws -> Int64 {
        let file = try InputFile(opening: path)
        var total: Int64 = 0
        while try file.readChunk({ total += Int64($0.count) }) {}
        return total
    }
}
