import CZstd

/// A zstd error, with the library's own description.
public struct ZstdError: Error, CustomStringConvertible {
    public var description: String

    init(_ code: Int) {
        description = "zstd: " + String(cString: ZSTD_getErrorName(code))
    }

    init(message: String) {
        description = "zstd: " + message
    }

    /// Returns `code` unless it is a zstd error code.
    @discardableResult
    static func check(_ code: Int) throws -> Int {
        if ZSTD_isError(code) != 0 { throw ZstdError(code) }
        return code
    }
}

/// Compresses a stream of bytes into zstd frames piece by piece, handing each compressed piece
/// to a sink: memory stays bounded (one output buffer) however much goes through.
public final class ZstdCompressor {
    private let context: OpaquePointer
    private var output: [UInt8]

    /// - Parameters:
    ///   - level: zstd's compression level (1–19; 3 is zstd's default).
    ///   - workers: threads compressing beside the caller (0: compress on the calling thread).
    public init(level: Int32, workers: Int32 = 0) throws {
        guard let context = ZSTD_createCCtx() else { throw ZstdError(message: "out of memory") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        // A checksum per frame, as the zstd command writes by default: corruption is caught
        // by decompression itself, not only by the file hash.
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
        if workers > 0 { try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers)) }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `bytes`; `sink` receives whatever compressed output is ready.
    public func compress(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(bytes, ZSTD_e_continue, sink)
    }

    /// Ends the frame: flushes everything still buffered to `sink`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end, sink)
    }

    private func run(_ bytes: UnsafeRawBufferPointer, _ mode: ZSTD_EndDirective, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            while true {
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: capacity, pos: 0)
                let remaining = try ZstdError.check(ZSTD_compressStream2(context, &out, &input, mode))
                if out.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<out.pos])) }
                let done = mode == ZSTD_e_end ? remaining == 0 : input.pos == input.size && out.pos < capacity
                if done { return }
            }
        }
    }
}

/// Decompresses zstd frames piece by piece (the inverse of ``ZstdCompressor``).
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    /// False while a frame has started but not ended: input that stops there was cut short.
    public private(set) var atFrameBoundary = true

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw ZstdError(message: "out of memory") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `bytes`; `sink` receives the decompressed output as it comes.
    public func decompress(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            while input.pos < input.size || !atFrameBoundary {
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: capacity, pos: 0)
                let hint = try ZstdError.check(ZSTD_decompressStream(context, &out, &input))
                atFrameBoundary = hint == 0
                if out.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<out.pos])) }
                // Out of input and nothing more came out: wait for the next piece.
                if input.pos == input.size && out.pos < capacity { return }
            }
        }
    }
}
