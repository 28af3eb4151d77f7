/// Events for one stream, with the version the writer expects that stream to be at.
public struct StreamAppend: Sendable, Hashable {
    public var streamID: StreamID
    public var expectedVersion: ExpectedVersion
    public var events: [NewEvent]

    public init(streamID: StreamID, expectedVersion: ExpectedVersion = .any, events: [NewEvent]) {
        self.streamID = streamID
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// One atomic append: events for one or several streams, all written in one transaction or none.
public struct AppendRequest: Sendable, Hashable {
    public var streams: [StreamAppend]

    public init(_ streams: [StreamAppend]) {
        self.streams = streams
    }

    /// All events of the request, in the order they will take positions.
    public var events: [NewEvent] { streams.flatMap(\.events) }

    /// How many events the request appends, without collecting them.
    public var eventCount: Int { streams.reduce(0) { $0 + $1.events.count } }

    /// Checks the shape of the request: at least one event, each stream named once, no repeated id.
    public func validate() throws(LedgerError) {
        guard !streams.isEmpty, streams.allSatisfy({ !$0.events.isEmpty }) else {
            throw LedgerError(.invalidEvent, "an append needs at least one event for each stream it names")
        }
        guard Set(streams.map(\.streamID)).count == streams.count else {
            throw LedgerError(.invalidEvent, "an append names each stream at most once")
        }
        let ids = events.map(\.id)
        guard Set(ids).count == ids.count else {
            throw LedgerError(.invalidEvent, "an append must not repeat an event id")
        }
    }
}
