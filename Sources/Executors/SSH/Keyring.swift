import Foundation
import Glibc
import Ledger
import LedgerDomain

/// The key files of organisations' keyrings on an executor's machine: `ROOT/<organisation>/<key>`,
/// each mode 600 in a directory of mode 700. A server names a key by id; the file is looked up
/// only under the server's own organisation, and used only when the fingerprint of its public
/// half is the one the keyring recorded. No caller ever names a path.
public struct Keyring: Sendable, Hashable {
    /// The directory holding one directory per organisation.
    public var root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// Where the key `keyID` of `organisation` lives (both are domain ids: no `/`, no `..`).
    public func path(organisation: String, keyID: String) throws -> String {
        try DomainIDs.validate(organisation, kind: "organisation")
        try DomainIDs.validate(keyID, kind: "key")
        return root + "/" + organisation + "/" + keyID
    }

    /// Copies the private key at `source` into the organisation's keyring as `keyID` (mode 600,
    /// refusing to overwrite a key already there) and returns the fingerprint of its public half.
    public func install(from source: String, organisation: String, keyID: String) throws -> String {
        try PrivateKeyFile.requireOwnerOnly(source)
        let fingerprint = try PrivateKeyFile.publicFingerprint(source)
        let destination = try path(organisation: organisation, keyID: keyID)
        for directory in [root, root + "/" + organisation] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw SSHError(.keyFileRefused, "cannot create the keyring directory \(directory): \(String(cString: strerror(errno)))")
            }
            chmod(directory, 0o700)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
            throw SSHError(.keyFileRefused, "cannot read \(source): \(error.localizedDescription)")
        }
        let descriptor = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SSHError(
                .keyFileRefused,
                errno == EEXIST ? "\(destination) already exists: remove the old key first" : "cannot write \(destination): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else {
            unlink(destination)
            throw SSHError(.keyFileRefused, "cannot write \(destination)")
        }
        // A public half beside it, for keys in formats whose private file does not hold one.
        if let pub = try? Data(contentsOf: URL(fileURLWithPath: source + ".pub")) {
            _ = FileManager.default.createFile(atPath: destination + ".pub", contents: pub, attributes: [.posixPermissions: 0o644])
        }
        return fingerprint
    }

    /// Deletes a key's files (after its removal was recorded).
    public func uninstall(organisation: String, keyID: String) throws {
        let file = try path(organisation: organisation, keyID: keyID)
        unlink(file)
        unlink(file + ".pub")
    }

    /// The path of the key a server logs in with, after checking that the key belongs to the
    /// server's organisation, is still in its keyring, is readable by its owner only and is the
    /// key the keyring recorded (by the fingerprint of its public half).
    public func keyFile(for server: ServerRegistered, keyring: KeyringState) throws -> String {
        guard let keyID = server.keyID, server.keyPath == nil else {
            throw SSHError(
                .keyFileRefused,
                "server \(server.serverID) names its key by a file path, which no longer counts: add the key to the keyring of "
                    + "\(server.organisationID) (`ledger keys add`) and register the server again with --key; nothing was run")
        }
        guard keyring.organisationID == server.organisationID, let recorded = keyring.fingerprints[keyID] else {
            throw SSHError(.keyFileRefused, "key \(keyID) is not in the keyring of \(server.organisationID); nothing was run")
        }
        guard recorded == server.keyFingerprint else {
            throw SSHError(.keyFileRefused, "server \(server.serverID) was registered with another key \(keyID) than the keyring holds now; nothing was run")
        }
        let file = try path(organisation: server.organisationID, keyID: keyID)
        guard FileManager.default.fileExists(atPath: file) else {
            throw SSHError(
                .keyFileRefused, "key \(keyID) of \(server.organisationID) has no file in the keyring directory on this machine (\(root)); nothing was run")
        }
        let found: String
        do {
            try PrivateKeyFile.requireOwnerOnly(file)
            found = try PrivateKeyFile.publicFingerprint(file)
        } catch let error as SSHError {
            throw SSHError(error.code, error.message + "; nothing was run")
        }
        guard found == recorded else {
            throw SSHError(
                .keyFileRefused, "the key file of \(keyID) in the keyring of \(server.organisationID) is \(found), not the registered \(recorded); nothing was run")
        }
        return file
    }
}
