import NIOCore
import PostgresNIO

/// A `timestamptz` decoded exactly, as microseconds since 1970.
///
/// Going through `Date` (a Double) can round the last microsecond, and the hash chain covers
/// the exact value, so the store reads recorded-at times in PostgreSQL's own integer form.
struct PostgresMicroseconds: PostgresDecodable, Sendable {
    /// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    var sinceUnixEpoch: Int64

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary,
            let value = buffer.readInteger(as: Int64.self)
        else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        sinceUnixEpoch = value + Self.postgresEpochOffset
    }
}
