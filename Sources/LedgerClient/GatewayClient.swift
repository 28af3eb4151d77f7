import Foundation
import LedgerZstd
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client for the gateway's GET endpoints, used by `ledger logs --server`: one
/// connection per request, `Accept-Encoding: zstd` by default, the body decompressed when the
/// server compressed it.
public struct GatewayClient: Sendable {
    /// A failed exchange: the server could not be reached, or answered with something unreadable.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// Whether trying again may help (the server could not be reached, or cut the answer off).
        public var retryable: Bool
        public init(description: String, retryable: Bool = false) {
            self.description = description
            self.retryable = retryable
        }
    }

    /// What the server answered, body already decoded from its content encoding.
    public struct Reply: Sendable {
        public var status: Int
        /// `Content-Encoding` as sent (nil when the body came uncompressed).
        public var contentEncoding: String?
        /// Bytes received on the wire for the body.
        public var wireBodyBytes: Int
        public var body: [UInt8]

        /// The `message` of a JSON error body, or the status alone.
        public var errorMessage: String {
            let detail = try? JSONDecoder().decode(APIErrorBody.self, from: Data(body))
            return detail.map { "\($0.error.message) (HTTP \(status))" } ?? "HTTP \(status)"
        }
    }

    public let host: String
    public let port: Int
    /// The API token sent as `Authorization: Bearer …`, if any.
    public var token: String?
    /// Bodies larger than this (on the wire or decompressed) are refused.
    public var maximumBodyBytes = 64 << 20
    /// How long the server may send nothing before the connection is given up.
    public var readTimeout: TimeAmount = .seconds(45)

    /// `url` like `http://127.0.0.1:8480` (https is not spoken yet).
    public init(url: String) throws {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host, !host.isEmpty else {
            throw Failure(description: "server address must look like http://HOST:PORT (got '\(url)')")
        }
        self.host = host
        port = parsed.port ?? 80
    }

    /// A new HTTP/1.1 connection to the server (5 s to connect).
    func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: port) { [readTimeout] channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Nothing waits for ever: a server silent for this long is treated as gone
                        // (a live stream's heartbeat comes every 15 s).
                        try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: readTimeout), CloseWhenIdle()])
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            let refused = (error as? NIOConnectionError)?.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED } ?? false
            let reason = refused || (error as? IOError)?.errnoCode == ECONNREFUSED ? "connection refused" : "\(error)"
            throw Failure(description: "cannot reach the ledger server at \(host):\(port) (\(reason)); is `ledger run` serving there?", retryable: true)
        }
    }

    /// GETs `path` (with its query string); `acceptZstd` sends `Accept-Encoding: zstd`.
    public func get(_ path: String, acceptZstd: Bool = true) async throws -> Reply {
        let channel = try await connect()
        let (status, encoding, wire) = try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Accept-Encoding", value: acceptZstd ? "zstd" : "identity")
            head.headers.add(name: "Connection", value: "close")
            if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var response: HTTPResponseHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let value):
                    response = value
                case .body(let buffer):
                    guard body.count + buffer.readableBytes <= maximumBodyBytes else {
                        throw Failure(description: "response body exceeds \(maximumBodyBytes) bytes")
                    }
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let response else { throw Failure(description: "response ended before its head") }
                    return (Int(response.status.code), response.headers.first(name: "Content-Encoding"), body)
                }
            }
            throw Failure(description: "connection closed before the response ended")
        }
        switch encoding?.lowercased() {
        case nil, "identity":
            return Reply(status: status, contentEncoding: encoding, wireBodyBytes: wire.count, body: wire)
        case "zstd":
            let body: [UInt8]
            do { body = try Zstd.decompress(wire, limit: maximumBodyBytes) } catch {
                throw Failure(description: "the server's zstd body does not decompress: \(error)")
            }
            return Reply(status: status, contentEncoding: encoding, wireBodyBytes: wire.count, body: body)
        case let other?:
            throw Failure(description: "unsupported Content-Encoding '\(other)'")
        }
    }
}

/// Closes a connection its `IdleStateHandler` found silent; the reader then sees it end.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
