import Ledger
import Crypto
import Foundation

/// The secret text of an API token: `ldg_` + 30 random base62 characters + a 6-character
/// base62 CRC-32 of them. The prefix lets secret scanners recognise a leaked token and the
/// checksum lets the server refuse a mistyped one without a database lookup. Only its SHA-256
/// is ever stored; the text is shown once, when the token is created.
public struct TokenSecret: Sendable, CustomStringConvertible {
    public static let prefix = "ldg_"
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    static let alphabetBytes = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let randomLength = 30
    static let checksumLength = 6

    /// The whole token, to hand to its owner once.
    public let text: String

    /// A new random token.
    public static func generate() -> TokenSecret {
        var generator = SystemRandomNumberGenerator()
        let random = String((0..<randomLength).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
        return TokenSecret(text: prefix + random + checksum(random))
    }

    /// The token a caller sent, if it has the right shape and checksum.
    public init?(parsing text: String) {
        // Checked as bytes: this runs on every API request.
        let bytes = text.utf8
        guard bytes.count == Self.prefix.utf8.count + Self.randomLength + Self.checksumLength, bytes.starts(with: Self.prefix.utf8),
            bytes.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "_") })
        else { return nil }
        let body = bytes.dropFirst(Self.prefix.utf8.count)
        guard Self.checksumDigits(of: body.prefix(Self.randomLength)).elementsEqual(body.suffix(Self.checksumLength)) else { return nil }
        self.text = text
    }

    /// Whether a byte is an ASCII letter or digit.
    package static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    private init(text: String) {
        self.text = text
    }

    /// What is stored and looked up: SHA-256 of the text.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// The first characters, safe to show in listings and logs (`ldg_AbCd…`).
    public var hint: String { String(text.prefix(Self.prefix.count + 4)) + "…" }

    /// Never the secret itself.
    public var description: String { hint }

    static func checksum(_ body: String) -> String {
        String(decoding: checksumDigits(of: body.utf8), as: UTF8.self)
    }

    /// The checksum's base62 digits, most significant first.
    static func checksumDigits(of body: some Collection<UInt8>) -> [UInt8] {
        var crc = CRC32.checksum(body)
        var digits = [UInt8](repeating: 0, count: checksumLength)
        for index in digits.indices.reversed() {
            digits[index] = alphabetBytes[Int(crc % UInt32(alphabetBytes.count))]
            crc /= UInt32(alphabetBytes.count)
        }
        return digits
    }
}

/// CRC-32 (IEEE 802.3), for token checksums.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { byte in
        var value = UInt32(byte)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
