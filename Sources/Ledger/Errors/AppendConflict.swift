/// An append was refused because a stream was not at the version the writer expected.
/// Nothing of that append was written; the writer should re-read the stream and decide again.
public struct AppendConflict: CodedError, Sendable, Hashable, CustomStringConvertible {
    public var errorCode: String { "version_conflict" }
    public var streamID: StreamID
    public var expected: ExpectedVersion
    /// The stream's version when the append was tried (0: the stream does not exist).
    public var actual: Int64

    public init(streamID: StreamID, expected: ExpectedVersion, actual: Int64) {
        self.streamID = streamID
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "version conflict on stream \(streamID): expected \(expected), but it is at version \(actual)"
    }
}
