/// Whole-buffer compression for small payloads (an HTTP response body, a test fixture), built on
/// the streaming ``ZstdCompressor`` and ``ZstdDecompressor``.
public enum Zstd {
    /// `bytes` as one zstd frame (with a content checksum) at `level`.
    public static func compress(_ bytes: some Collection<UInt8>, level: Int32 = 3) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: level)
        var output: [UInt8] = []
        let sink: (UnsafeRawBufferPointer) throws -> Void = { output.append(contentsOf: $0) }
        try Array(bytes).withUnsafeBytes { try compressor.compress($0, into: sink) }
        try compressor.finish(into: sink)
        return output
    }

    /// The bytes that `frames` decompress to; a truncated frame is an error, as is any output
    /// beyond `limit` bytes (a guard against a tiny body that inflates without end).
    public static func decompress(_ frames: some Collection<UInt8>, limit: Int = 256 << 20) throws -> [UInt8] {
        let decompressor = try ZstdDecompressor()
        var output: [UInt8] = []
        try Array(frames).withUnsafeBytes { input in
            try decompressor.decompress(input) { piece in
                guard output.count + piece.count <= limit else { throw ZstdError(message: "output exceeds \(limit) bytes") }
                output.append(contentsOf: piece)
            }
        }
        guard decompressor.atFrameBoundary else { throw ZstdError(message: "truncated frame") }
        return output
    }
}
