import Foundation
import Ledger
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy in front of PostgreSQL that reads the wire protocol's messages, for
/// proving that an append is answered only once it is durable. Armed, it withholds the `Sync`
/// that follows the next execution of an append (a statement naming `ledger.head`, the
/// `append_witnessed` function or the `append_planned` procedure) and sends a `Flush` in its place, passes on what the server
/// answers up to its `CommandComplete`, and then drops the connection. A statement run in an implicit transaction commits only at
/// `Sync`, so the server rolls that one back: a client that took `CommandComplete` as done has
/// answered a write that is not there.
public final class SyncHoldingProxy: Sendable {
    public let port: Int
    private let listener: Int32
    private let upstream: (host: String, port: Int)
    private let state = Mutex<(armed: Bool, dropped: Bool, sockets: [Int32])>((false, false, []))

    public init(upstreamHost host: String, port upstreamPort: Int) throws {
        upstream = (host, upstreamPort)
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, length) == 0 && getsockname(listening, $0, &length) == 0 }
        }
        guard bound, listen(listening, 16) == 0 else { throw LedgerError(.unavailable, "the proxy cannot listen (errno \(errno))") }
        listener = listening
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Withhold the `Sync` after the next append's execution and drop that connection at its `CommandComplete`.
    public func armHoldingTheNextAppendSync() { state.withLock { $0.armed = true } }

    /// Whether a connection was dropped between an append's `CommandComplete` and its `Sync`.
    public var dropped: Bool { state.withLock { $0.dropped } }

    /// Stops accepting and closes every connection.
    public func close() {
        let sockets = state.withLock { state in
            defer { state.sockets = [] }
            return state.sockets
        }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for socket in sockets {
            shutdown(socket, Int32(SHUT_RDWR))
            Glibc.close(socket)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            // Once it dropped one, no new connection gets through: the client cannot redo the
            // append elsewhere, so its answer is the one it took from the dropped connection.
            if dropped {
                Glibc.close(client)
                continue
            }
            guard let server = connectUpstream() else {
                Glibc.close(client)
                continue
            }
            state.withLock { $0.sockets += [client, server] }
            let pair = Pair(client: client, server: server)
            Thread { [self] in pumpFrontend(pair) }.start()
            Thread { [self] in pumpBackend(pair) }.start()
        }
    }

    private func connectUpstream() -> Int32? {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(upstream.port).bigEndian)
        address.sin_addr.s_addr = inet_addr(upstream.host)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if connected { return server }
        Glibc.close(server)
        return nil
    }

    /// Client to server: the startup message, then typed messages; remembers each statement's SQL.
    private func pumpFrontend(_ pair: Pair) {
        guard let startup = pair.readStartup(), pair.send(startup, to: pair.server) else { return pair.closeBoth() }
        var statements: [String: String] = [:]
        var holdNextSync = false
        while let (type, message) = pair.readMessage(from: pair.client) {
            let fields = message.dropFirst(5).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            switch type {
            case UInt8(ascii: "P") where fields.count >= 2:
                statements[fields[0]] = fields[1]
            case UInt8(ascii: "B") where fields.count >= 2:
                let sql = statements[fields[1]] ?? ""
                if sql.contains("append_witnessed") || sql.contains("append_planned") || sql.contains("UPDATE ledger.head") {
                    holdNextSync = state.withLock { state in
                        defer { state.armed = false }
                        return state.armed
                    }
                }
            case UInt8(ascii: "S") where holdNextSync:
                // A Flush instead: the server sends what it has (it holds its output until Sync
                // or Flush) without ending the implicit transaction.
                pair.holding.withLock { $0 = true }
                if !pair.send([UInt8(ascii: "H"), 0, 0, 0, 4], to: pair.server) { return pair.closeBoth() }
                continue
            default:
                break
            }
            guard pair.send(message, to: pair.server) else { break }
        }
        pair.closeBoth()
    }

    /// Server to client; while a `Sync` is withheld, the connection drops shortly after `CommandComplete`.
    private func pumpBackend(_ pair: Pair) {
        while let (type, message) = pair.readMessage(from: pair.server) {
            guard pair.send(message, to: pair.client) else { break }
            if type == UInt8(ascii: "C"), pair.holding.withLock({ $0 }) {
                // Not at once: a client that took CommandComplete as done gets time to answer
                // before it hears of the close (which would otherwise make it redo the append).
                usleep(300_000)
                state.withLock { $0.dropped = true }
                break
            }
        }
        pair.closeBoth()
    }
}

/// One proxied connection: its two sockets and whether a `Sync` is being withheld.
private final class Pair: Sendable {
    let client: Int32
    let server: Int32
    let holding = Mutex(false)

    init(client: Int32, server: Int32) {
        self.client = client
        self.server = server
    }

    /// The startup message: a length, then the rest (no type byte).
    func readStartup() -> [UInt8]? {
        guard let head = read(4, from: client) else { return nil }
        let length = Int(UInt32(bigEndian: head.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard length >= 4, let rest = read(length - 4, from: client) else { return nil }
        return head + rest
    }

    /// One typed message, whole (type, length and body).
    func readMessage(from socket: Int32) -> (UInt8, [UInt8])? {
        guard let head = read(5, from: socket) else { return nil }
        let length = Int(UInt32(bigEndian: head[1...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard length >= 4, let body = read(length - 4, from: socket) else { return nil }
        return (head[0], head + body)
    }

    func send(_ bytes: [UInt8], to socket: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    func closeBoth() {
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(server, Int32(SHUT_RDWR))
    }

    private func read(_ count: Int, from socket: Int32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let received = bytes[got...].withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return nil }
            got += received
        }
        return bytes
    }
}
