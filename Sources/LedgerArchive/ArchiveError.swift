#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an archive could not be written, read or used. (Problems *inside* an archive that
/// reads fine are ``ArchiveProblem``s, reported by the verifier.)
public enum ArchiveError: Error, CustomStringConvertible {
    case io(String, Int32)
    case invalid(String)

    public var description: String {
        switch self {
        case .io(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .invalid(let why): why
        }
    }
}
