import CommandRuntime
import ArgumentParser
import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
import Logging
import LedgerRedis
import LoopbackSSH
import NIOCore
import NIOPosix
import PostgresNIO
import Projections
import Synchronization

/// A bare SSE client on a NIO channel: sends the request, notes when each `id:` line arrives.
/// It scans bytes, not Strings, so that a thousand of them in one process cost little beside
/// the gateway they measure.
final class SSEProbe: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let log: DeliveryLog
    /// The start of a line not yet ended by a newline.
    private var partial: [UInt8] = []
    private var opened = false
    private static let idPrefix = Array("id: ".utf8)
    private static let retryPrefix = Array("retry:".utf8)

    init(log: DeliveryLog) { self.log = log }

    static func connect(group: any EventLoopGroup, port: Int, path: String, token: String, log: DeliveryLog) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SSEProbe(log: log)) } }
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        return channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = Date().timeIntervalSince1970
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            var start = 0
            for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
                if partial.isEmpty {
                    line(UnsafeRawBufferPointer(rebasing: bytes[start..<index]), at: now)
                } else {
                    partial += bytes[start..<index]
                    partial.withUnsafeBytes { line($0, at: now) }
                    partial.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            partial += bytes[start...]
        }
    }

    private func line(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        if bytes.starts(with: Self.idPrefix) {
            var position: Int64 = 0
            for byte in bytes.dropFirst(Self.idPrefix.count) where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                position = position * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            log.record(position, at: time, client: ObjectIdentifier(self))
        } else if !opened, bytes.starts(with: Self.retryPrefix) {
            opened = true
            log.open()
        }
    }
}

