import Foundation

/// The `Encoder` a value writes itself to, at one depth of ``JSONOutput``.
struct StreamingEncoder: Encoder {
    let output: JSONOutput
    let depth: Int

    // Not tracked: it is only for error messages, and building it would cost every value.
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        output.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"), depth: depth)
        return KeyedEncodingContainer(StreamingKeyedContainer<Key>(output: output, depth: depth))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        output.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"), depth: depth)
        return StreamingUnkeyedContainer(output: output, depth: depth)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValueContainer(output: output, depth: depth)
    }
}

/// An object being written; `depth` is its place among the open containers.
struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let output: JSONOutput
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        output.writeLiteral("null")
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        output.writeLiteral(value ? "true" : "false")
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        output.writeString(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        try output.writeFloatingPoint(value, codingPath: [key])
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        try output.writeFloatingPoint(value, codingPath: [key])
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { integer(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        output.writeKey(key, inContainerAt: depth)
        try output.write(value, depth: depth + 1)
    }

    private func integer(_ value: some FixedWidthInteger, _ key: Key) {
        output.writeKey(key, inContainerAt: depth)
        output.writeInteger(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        output.writeKey(key, inContainerAt: depth)
        return StreamingEncoder(output: output, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        output.writeKey(key, inContainerAt: depth)
        return StreamingEncoder(output: output, depth: depth + 1).unkeyedContainer()
    }

    /// Under the key "super", as `JSONEncoder` does; the caller must encode something into it.
    mutating func superEncoder() -> any Encoder {
        output.writeKey(SuperKey(), inContainerAt: depth)
        return StreamingEncoder(output: output, depth: depth + 1)
    }

    /// Under `key`; the caller must encode something into it.
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        output.writeKey(key, inContainerAt: depth)
        return StreamingEncoder(output: output, depth: depth + 1)
    }
}

/// The key `JSONEncoder` files a superclass's encoding under.
private struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

/// An array being written.
struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let output: JSONOutput
    let depth: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(output: JSONOutput, depth: Int) {
        self.output = output
        self.depth = depth
    }

    private mutating func next() {
        output.beginElement(inContainerAt: depth)
        count += 1
    }

    mutating func encodeNil() throws {
        next()
        output.writeLiteral("null")
    }
    mutating func encode(_ value: Bool) throws {
        next()
        output.writeLiteral(value ? "true" : "false")
    }
    mutating func encode(_ value: String) throws {
        next()
        output.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        next()
        try output.writeFloatingPoint(value, codingPath: [])
    }
    mutating func encode(_ value: Float) throws {
        next()
        try output.writeFloatingPoint(value, codingPath: [])
    }
    mutating func encode(_ value: Int) throws { integer(value) }
    mutating func encode(_ value: Int8) throws { integer(value) }
    mutating func encode(_ value: Int16) throws { integer(value) }
    mutating func encode(_ value: Int32) throws { integer(value) }
    mutating func encode(_ value: Int64) throws { integer(value) }
    mutating func encode(_ value: UInt) throws { integer(value) }
    mutating func encode(_ value: UInt8) throws { integer(value) }
    mutating func encode(_ value: UInt16) throws { integer(value) }
    mutating func encode(_ value: UInt32) throws { integer(value) }
    mutating func encode(_ value: UInt64) throws { integer(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        next()
        try output.write(value, depth: depth + 1)
    }

    private mutating func integer(_ value: some FixedWidthInteger) {
        next()
        output.writeInteger(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next()
        return StreamingEncoder(output: output, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        next()
        return StreamingEncoder(output: output, depth: depth + 1).unkeyedContainer()
    }

    /// As the next element; the caller must encode something into it.
    mutating func superEncoder() -> any Encoder {
        next()
        return StreamingEncoder(output: output, depth: depth + 1)
    }
}

/// One value written where the encoder stands (after its key, as an element, or alone).
struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let output: JSONOutput
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { output.writeLiteral("null") }
    mutating func encode(_ value: Bool) throws { output.writeLiteral(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { output.writeString(value) }
    mutating func encode(_ value: Double) throws { try output.writeFloatingPoint(value, codingPath: []) }
    mutating func encode(_ value: Float) throws { try output.writeFloatingPoint(value, codingPath: []) }
    mutating func encode(_ value: Int) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { output.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try output.write(value, depth: depth) }
}
