/// What an append wrote (or, for a retried request, had already written).
public struct AppendResult: Sendable, Hashable, Codable {
    /// Per stream, in request order.
    public var streams: [StreamResult]
    /// The global position of the request's first and last event.
    public var firstPosition: Int64
    public var lastPosition: Int64
    /// True when every event id was already in the log and nothing was written this time.
    public var wasAlreadyAppended: Bool
    /// When the events were recorded (every event of a request gets the same time), if this
    /// append wrote them; nil for a retried request. Not part of the result's JSON.
    public var recordedAtMicroseconds: Int64?

    /// The outcome for one stream.
    public struct StreamResult: Sendable, Hashable, Codable {
        public var streamID: StreamID
        /// The stream's version after its last event of this request.
        public var version: Int64
        /// The version of the stream's first event in this request.
        public var firstVersion: Int64
        /// The global position of the stream's last event in this request.
        public var lastPosition: Int64

        public init(streamID: StreamID, version: Int64, firstVersion: Int64, lastPosition: Int64) {
            self.streamID = streamID
            self.version = version
            self.firstVersion = firstVersion
            self.lastPosition = lastPosition
        }

        enum CodingKeys: String, CodingKey {
            case streamID = "stream"
            case version
            case firstVersion = "first_version"
            case lastPosition = "last_position"
        }
    }

    public init(streams: [StreamResult], firstPosition: Int64, lastPosition: Int64, wasAlreadyAppended: Bool) {
        self.streams = streams
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.wasAlreadyAppended = wasAlreadyAppended
    }

    enum CodingKeys: String, CodingKey {
        case streams
        case firstPosition = "first_position"
        case lastPosition = "last_position"
        case wasAlreadyAppended = "already_appended"
    }
}
