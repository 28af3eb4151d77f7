import Crypto
import Foundation
import Ledger

/// `manifest.json` of an archive: what range it holds, its segments with their hashes, the
/// seals that cover the range, and a digest over all of that.
///
/// The digest makes an edited manifest detectable on its own; the seals tie the archive to
/// the log it came from (their digests chain to the source database's seals and are recomputed
/// from the archived events by `ledger verify --archive`).
public struct ArchiveManifest: Codable, Sendable, Equatable {
    public static let formatName = "deployment-ledger-archive"
    public static let currentFormatVersion = 1
    public static let fileName = "manifest.json"

    /// One compressed file of consecutive positions.
    public struct Segment: Codable, Sendable, Equatable {
        public var number: Int
        public var file: String
        public var fromPosition: Int64
        public var toPosition: Int64
        public var eventCount: Int64
        public var uncompressedBytes: Int64
        public var compressedBytes: Int64
        /// SHA-256 of the compressed file.
        public var sha256: EventHash
    }

    public var format: String
    public var formatVersion: Int
    public var createdAt: Date
    public var fromPosition: Int64
    public var toPosition: Int64
    public var eventCount: Int64
    public var compressionLevel: Int32
    public var segments: [Segment]
    /// Every seal of the source log that overlaps the range, oldest first.
    public var seals: [Seal]
    /// SHA-256 over the fields above (see ``computeDigest()``): the archive's identity, which a
    /// pruning records.
    public var digest: EventHash

    public var uncompressedBytes: Int64 { segments.reduce(0) { $0 + $1.uncompressedBytes } }
    public var compressedBytes: Int64 { segments.reduce(0) { $0 + $1.compressedBytes } }

    /// The digest of everything the manifest claims: the range, each segment's place, count and
    /// hash, and each seal. Timestamps and sizes are not part of it.
    public func computeDigest() -> EventHash {
        var bytes = [UInt8]("\(format)/\(formatVersion)".utf8)
        func put(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        put(fromPosition); put(toPosition); put(eventCount)
        for segment in segments {
            put(Int64(segment.number)); put(segment.fromPosition); put(segment.toPosition); put(segment.eventCount)
            bytes.append(contentsOf: segment.file.utf8)
            bytes.append(contentsOf: segment.sha256.bytes)
        }
        for seal in seals {
            put(seal.number); put(seal.fromPosition); put(seal.toPosition); put(seal.eventCount)
            bytes.append(contentsOf: seal.digest.bytes)
            bytes.append(contentsOf: seal.previousDigest.bytes)
        }
        return EventHash(unchecked: Array(SHA256.hash(data: bytes)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Reads `DIR/manifest.json`, refusing what is not an archive this build understands.
    public static func read(from directory: String) throws -> ArchiveManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArchiveError.invalid("\(path) does not exist: \(directory) is not an archive")
        }
        let manifest: ArchiveManifest
        do {
            manifest = try decoder.decode(ArchiveManifest.self, from: data)
        } catch {
            throw ArchiveError.invalid("\(path) is not a readable archive manifest: \(error)")
        }
        guard manifest.format == formatName else { throw ArchiveError.invalid("\(path) is not a \(formatName) manifest") }
        guard manifest.formatVersion <= currentFormatVersion else {
            throw ArchiveError.invalid("\(path) has format version \(manifest.formatVersion); this build reads up to \(currentFormatVersion)")
        }
        return manifest
    }

    /// Writes `DIR/manifest.json` (synced to disk).
    func write(to directory: String) throws {
        let file = try OutputFile(creating: directory + "/" + Self.fileName)
        let data = try Self.encoder.encode(self) + Data("\n".utf8)
        try data.withUnsafeBytes { try file.write($0) }
        try file.close()
    }
}
