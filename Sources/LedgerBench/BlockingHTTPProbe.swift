import CommandRuntime
import Foundation
import Glibc

/// One keep-alive HTTP/1.1 connection that times sequential GETs: the "other requests" a
/// benchmark watches while it loads a gateway. Blocking, on a thread of its own, so that the
/// load in this process cannot delay its own measurements.
final class BlockingHTTPProbe: @unchecked Sendable {
    private let port: Int
    private let request: [UInt8]
    private var socket: Int32 = -1

    init(port: Int, path: String, token: String) {
        self.port = port
        request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
    }

    /// GETs the path again and again until `stop` says so; each one's latency, in seconds.
    func run(until stop: @escaping @Sendable () -> Bool) async -> LatencySample {
        await withCheckedContinuation { continuation in
            Thread {
                var sample = LatencySample()
                while !stop() {
                    let started = ContinuousClock.now
                    if self.getOnce() { sample.add(started.duration(to: .now)) } else { usleep(10_000) }
                }
                if self.socket >= 0 { close(self.socket) }
                continuation.resume(returning: sample)
            }.start()
        }
    }

    /// One GET on the kept connection (reconnecting when need be); whether a 200 came back.
    private func getOnce() -> Bool {
        if socket < 0 {
            socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { return reset() }
        }
        guard request.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return reset() }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { return reset() }
            received += buffer[..<count]
            guard let end = received.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if received.count - end.upperBound >= length { return head.hasPrefix("http/1.1 200") }
        }
    }

    private func reset() -> Bool {
        if socket >= 0 { close(socket) }
        socket = -1
        return false
    }
}
