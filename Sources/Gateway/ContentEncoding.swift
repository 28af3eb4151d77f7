import Foundation
import Hummingbird
import LedgerZstd

/// Response compression: zstd when the client's `Accept-Encoding` allows it and the body is big
/// enough to gain from it; otherwise the body goes out as it is.
public enum ContentEncoding {
    /// Bodies smaller than this go out uncompressed: a frame header costs more than it saves.
    public static let minimumCompressedSize = 512

    /// The zstd level for responses: zstd's default, fast enough to compress on every request.
    static let level: Int32 = 3

    /// Whether an `Accept-Encoding` value lists zstd (or `*`) with a non-zero quality.
    public static func acceptsZstd(_ header: String?) -> Bool {
        guard let header else { return false }
        var wildcard: Bool?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, !coding.isEmpty else { continue }
            let quality = parts.dropFirst().compactMap { parameter -> Double? in
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return pair.count == 2 && pair[0] == "q" ? Double(pair[1]) : nil
            }.first ?? 1
            if coding == "zstd" { return quality > 0 }
            if coding == "*" { wildcard = quality > 0 }
        }
        return wildcard ?? false
    }

    /// A `200 OK` JSON response of `body`, zstd-compressed when `acceptEncoding` allows it.
    static func jsonResponse(_ body: [UInt8], acceptEncoding: String?) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.vary] = "Accept-Encoding"
        var payload = body
        if body.count >= minimumCompressedSize, acceptsZstd(acceptEncoding) {
            payload = try Zstd.compress(body, level: level)
            headers[.contentEncoding] = "zstd"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: payload)))
    }
}
