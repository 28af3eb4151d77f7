import Crypto
import Foundation
import Glibc

/// Checks on an SSH private key file that never read out its secret part: that only its owner
/// can read it, and the fingerprint of its public half (what events record instead of the key).
public enum PrivateKeyFile {
    /// Refuses a key file that is missing, not a regular file, or readable by group or others —
    /// as OpenSSH itself refuses such keys.
    public static func requireOwnerOnly(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SSHError(.keyFileRefused, "cannot read the key file \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SSHError(.keyFileRefused, "the key file \(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw SSHError(
                .keyFileRefused,
                "the key file \(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)")
        }
    }

    /// The `SHA256:…` fingerprint of the key's public half: read from an OpenSSH-format key
    /// (whose public part is stored unencrypted) or from `PATH.pub` beside it.
    public static func publicFingerprint(_ path: String) throws -> String {
        if let blob = try? publicBlob(openSSHKeyAt: path) { return Self.fingerprint(blob) }
        if let line = try? String(contentsOfFile: path + ".pub", encoding: .utf8) {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) { return Self.fingerprint(blob) }
        }
        throw SSHError(
            .keyFileRefused, "cannot read the public half of \(path): use an OpenSSH-format key (ssh-keygen -t ed25519) or put \(path).pub beside it")
    }

    static func fingerprint(_ blob: Data) -> String { HostKey.fingerprint(sha256: Data(SHA256.hash(data: blob))) }

    /// `openssh-key-v1\0`, cipher, kdf, kdf options, key count, then the first public key blob.
    static func publicBlob(openSSHKeyAt path: String) throws -> Data {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard text.contains("BEGIN OPENSSH PRIVATE KEY"), let data = Data(base64Encoded: body) else {
            throw SSHError(.keyFileRefused, "not an OpenSSH key")
        }
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard data.count > magic.count, Array(data.prefix(magic.count)) == magic else { throw SSHError(.keyFileRefused, "not an OpenSSH key") }
        var offset = data.startIndex + magic.count
        func readString() throws -> Data {
            guard offset + 4 <= data.endIndex else { throw SSHError(.keyFileRefused, "truncated key") }
            let length = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length >= 0, offset + length <= data.endIndex else { throw SSHError(.keyFileRefused, "truncated key") }
            defer { offset += length }
            return data[offset..<offset + length]
        }
        _ = try readString()  // cipher
        _ = try readString()  // kdf
        _ = try readString()  // kdf options
        offset += 4  // number of keys
        return try readString()
    }
}
