import CHiredis
import Foundation

/// One blocking hiredis connection. Every call is bounded: connecting and each command give up
/// after `timeout`. Not thread-safe; ``RedisClient`` and ``RedisSubscriber`` each own theirs
/// and use it from one thread at a time.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    init(_ address: RedisAddress, timeout: Duration) throws {
        let tv = Self.timeval(timeout)
        let made: UnsafeMutablePointer<redisContext>? =
            switch address {
            case .tcp(let host, let port): redisConnectWithTimeout(host, Int32(port), tv)
            case .unix(let path): redisConnectUnixWithTimeout(path, tv)
            }
        guard let made else { throw RedisError.unavailable("out of memory") }
        if made.pointee.err != 0 {
            let reason = Self.errorText(made)
            redisFree(made)
            throw RedisError.unavailable("cannot connect to \(address): \(reason)")
        }
        context = made
        _ = redisSetTimeout(context, tv)
        if case .tcp = address { _ = redisEnableKeepAlive(context) }
    }

    deinit { redisFree(context) }

    /// Sends one command and waits for its reply. A Redis error reply is thrown as
    /// ``RedisError/replyError(_:)``; a broken connection as ``RedisError/unavailable(_:)``
    /// (the connection is then unusable).
    func command(_ arguments: [String]) throws -> RedisReply {
        try append(arguments)
        return try readReply()
    }

    /// Queues a command without waiting (pipelining; read the reply with ``readReply()``).
    func append(_ arguments: [String]) throws {
        let bytes = arguments.map { Array($0.utf8) }
        let status = Self.withCStrings(bytes) { pointers, lengths in
            redisAppendCommandArgv(context, Int32(bytes.count), pointers, lengths)
        }
        guard status == REDIS_OK else { throw RedisError.unavailable(Self.errorText(context)) }
    }

    /// Writes what ``append(_:)`` queued.
    func flush() throws {
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw RedisError.unavailable(Self.errorText(context)) }
        }
    }

    /// Waits (up to the timeout) for the next reply.
    func readReply() throws -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw RedisError.unavailable(Self.errorText(context)) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        let value = RedisReply(reply)
        if case .error(let message) = value { throw RedisError.replyError(message) }
        return value
    }

    /// A reply already read and buffered, without touching the socket; nil when none is whole yet.
    func bufferedReply() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw RedisError.unavailable(Self.errorText(context)) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Waits up to `timeout` for bytes to read and reads what is there. False when nothing came.
    func awaitInput(timeout: Duration) throws -> Bool {
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        if ready < 0 {
            if errno == EINTR { return false }
            throw RedisError.unavailable("poll failed (errno \(errno))")
        }
        if ready == 0 { return false }
        guard redisBufferRead(context) == REDIS_OK else { throw RedisError.unavailable(Self.errorText(context)) }
        return true
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "connection lost" : text
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    private static func withCStrings<R>(
        _ arguments: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var pointers: [UnsafePointer<CChar>?] = []
        var buffers: [UnsafeMutablePointer<CChar>] = []
        for bytes in arguments {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { buffer.initialize(from: base, count: bytes.count) }
                }
            }
            buffers.append(buffer)
            pointers.append(UnsafePointer(buffer))
        }
        defer { buffers.forEach { $0.deallocate() } }
        let lengths = arguments.map(\.count)
        return pointers.withUnsafeMutableBufferPointer { pointerBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in body(pointerBuffer.baseAddress!, lengthBuffer.baseAddress!) }
        }
    }
}
