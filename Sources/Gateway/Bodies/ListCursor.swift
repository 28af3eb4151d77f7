import Foundation

/// The opaque cursor of keyset paging: which list it pages and the log position where the next
/// page starts, base64url-encoded so that callers hand back what they were given rather than
/// build one. Anything else — a number, another list's cursor, garbage — is a 400.
enum ListCursor {
    /// The cursor of `list`'s page that continues at `position`.
    static func make(_ list: String, position: Int64) -> String {
        Data("\(list):\(position)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The position in a cursor `make(list, …)` gave, refused as `parameter` otherwise.
    static func position(_ text: Substring, of list: String, parameter: String = "cursor") throws -> Int64 {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard text.utf8.count <= 64, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8),
            decoded.hasPrefix(list + ":"), let position = Int64(decoded.dropFirst(list.utf8.count + 1)), position >= 0
        else { throw APIError.badRequest("\(parameter) must be a cursor this list gave (got '\(text.prefix(64))')") }
        return position
    }
}
