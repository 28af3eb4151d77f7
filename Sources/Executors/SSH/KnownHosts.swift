import Crypto
import Foundation

/// Reads OpenSSH known_hosts files: the fingerprints listed for a host (plain host names,
/// `[host]:port` entries and hashed `|1|…` entries are all understood).
public enum KnownHosts {
    public static func fingerprints(file: String, host: String, port: Int) throws -> Set<String> {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw SSHError(.keyFileRefused, "cannot read \(file): \(error.localizedDescription)")
        }
        let name = port == 22 ? host : "[\(host)]:\(port)"
        var found: Set<String> = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, !fields[0].hasPrefix("@") else { continue }
            let patterns = fields[0].split(separator: ",").map(String.init)
            guard patterns.contains(where: { matches($0, name) }), let blob = Data(base64Encoded: String(fields[2])) else { continue }
            found.insert(PrivateKeyFile.fingerprint(blob))
        }
        return found
    }

    private static func matches(_ pattern: String, _ name: String) -> Bool {
        guard pattern.hasPrefix("|1|") else { return pattern == name }
        let parts = pattern.dropFirst(3).split(separator: "|")
        guard parts.count == 2, let salt = Data(base64Encoded: String(parts[0])) else { return false }
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: salt))).base64EncodedString() == parts[1]
    }
}
