#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Ledger

/// Why an archive could not be written, read or used. (Problems *inside* an archive that
/// reads fine are ``ArchiveProblem``s, reported by the verifier.)
public struct ArchiveError: CodedError, Sendable {
    /// What kind of failure this is. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable {
        let name: String
        /// A file could not be read or written (with the system's reason).
        public static let io = Code(name: "archive_io")
        /// The archive or the request is not usable as it is.
        public static let invalid = Code(name: "archive_invalid")
    }

    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// A file operation on `what` failed with `errno`.
    public static func io(_ what: String, _ errno: Int32, file: String = #fileID, line: Int = #line) -> ArchiveError {
        ArchiveError(.io, "\(what): \(String(cString: strerror(errno)))", file: file, line: line)
    }

    /// The archive or the request is not usable.
    public static func invalid(_ why: String, file: String = #fileID, line: Int = #line) -> ArchiveError {
        ArchiveError(.invalid, why, file: file, line: line)
    }

    public var errorCode: String { code.name }
    public var description: String { message }
}
