import NIOCore

/// Notices, on the read side, that a client went away — its end of the connection closed
/// (EOF) or the connection itself did — so that a live event stream ends within moments
/// instead of when a heartbeat write first fails (15 s or more later).
///
/// One per connection, after the HTTP codec: requests pass through it untouched.
final class ClientHangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    // Reads pass through unread (the default `channelRead` forwards them as they are).
    typealias InboundIn = Any
    typealias InboundOut = Any

    private var hungUp: EventLoopPromise<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        hungUp = context.eventLoop.makePromise(of: Void.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        hungUp?.succeed()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { hungUp?.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hungUp?.succeed()
        context.fireChannelInactive()
    }

    /// Completes when the client of `channel` hangs up; nil when the channel has no such handler.
    static func hangUp(of channel: any Channel) async -> EventLoopFuture<Void>? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientHangUpHandler.self).hungUp?.futureResult
        }.get()
    }
}
