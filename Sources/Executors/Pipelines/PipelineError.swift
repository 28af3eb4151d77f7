/// A pipeline file that cannot be used, with where and why: refused when the worker starts,
/// before any deployment runs on it.
public struct PipelineError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line, when the problem has a place.
    public var line: Int?
    public var reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)" }
}
