import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One Server-Sent Events message as the client reads it.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: Int64?
    public var event: String
    public var data: String
}

extension GatewayClient {
    /// Follows `GET /api/v1/events?…` (`query` without the `?`): hands each message to
    /// `onEvent` until the server ends the stream (a deployment's stream ends after its final
    /// event). A dropped connection is resumed with `Last-Event-ID`, so nothing is missed or
    /// repeated; after `maximumRetries` failures in a row it gives up.
    public func followEvents(
        query: String, maximumRetries: Int = 10, onEvent: (ServerSentEvent) async throws -> Void
    ) async throws {
        var last: Int64?
        var failures = 0
        while true {
            do {
                let status = try await streamOnce("/api/v1/events?" + query, lastEventID: last) { event in
                    failures = 0
                    if let id = event.id { last = id }
                    try await onEvent(event)
                }
                if let status { throw status }
                return
            } catch let failure as Failure where failures < maximumRetries && failure.retryable {
                failures += 1
                try await Task.sleep(for: .milliseconds(500) * failures)
            }
        }
    }

    /// One connection: nil when the stream ended normally, a ``Failure`` for an error answer.
    private func streamOnce(
        _ path: String, lastEventID: Int64?, _ onEvent: (ServerSentEvent) async throws -> Void
    ) async throws -> Failure? {
        let channel = try await connect()
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Accept", value: "text/event-stream")
            if let lastEventID { head.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
            if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status = 0
            var pending = ""
            var errorBody: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response):
                    status = Int(response.status.code)
                case .body(let buffer):
                    guard status == 200 else {
                        errorBody += buffer.readableBytesView.prefix(64 << 10)
                        continue
                    }
                    pending += String(decoding: buffer.readableBytesView, as: UTF8.self)
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending.removeSubrange(..<end.upperBound)
                        if let event = Self.parse(block) { try await onEvent(event) }
                    }
                case .end:
                    guard status == 200 else {
                        let reply = Reply(status: status, contentEncoding: nil, wireBodyBytes: errorBody.count, body: errorBody)
                        return Failure(description: reply.errorMessage, retryable: status >= 500)
                    }
                    return nil
                }
            }
            throw Failure(description: "the event stream was cut off", retryable: true)
        }
    }

    /// One message block; nil for comments and the `retry:` line alone.
    static func parse(_ block: String) -> ServerSentEvent? {
        var id: Int64?, event = "message", data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { continue }
            let (field, value) = line.firstIndex(of: ":").map { (line[..<$0], line[line.index(after: $0)...].drop { $0 == " " }) } ?? (line[...], ""[...])
            switch field {
            case "id": id = Int64(value)
            case "event": event = String(value)
            case "data": data.append(String(value))
            default: continue
            }
        }
        return data.isEmpty ? nil : ServerSentEvent(id: id, event: event, data: data.joined(separator: "\n"))
    }
}
