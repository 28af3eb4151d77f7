import NIOCore
import PostgresNIO

/// A `bytea[]` parameter written straight into PostgreSQL's binary array format, so a batch of
/// payloads costs one buffer instead of one `ByteBuffer` per element.
struct ByteaArray: PostgresNonThrowingEncodable, Sendable {
    static var psqlType: PostgresDataType { .byteaArray }
    static var psqlFormat: PostgresFormat { .binary }

    private var elements = ByteBuffer()
    private(set) var count: Int32 = 0

    init(reservingBytes capacity: Int = 0) {
        elements.reserveCapacity(capacity)
    }

    mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let lengthIndex = elements.writerIndex
        elements.writeInteger(Int32(0))
        let written = elements.writeBytes(bytes)
        elements.setInteger(Int32(written), at: lengthIndex)
        count += 1
    }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(Int32(1))                          // dimensions
        buffer.writeInteger(Int32(0))                          // no NULL elements
        buffer.writeInteger(PostgresDataType.bytea.rawValue)  // element type
        buffer.writeInteger(count)                             // length of the dimension
        buffer.writeInteger(Int32(1))                          // lower bound
        var copy = elements
        buffer.writeBuffer(&copy)
    }
}
