import Ledger
import Foundation

/// What a project's repository address may be: the address every executor hands to `git clone`
/// and `git ls-remote` on its hosts, so it must be an address — never an option, never a
/// transport helper that runs a command (`ext::sh -c …`).
public enum RepositoryRules {
    /// An `https://`, `http://`, `ssh://`, `git://` or `file://` URL, an absolute path, or
    /// scp-like `user@host:path` (the path not starting with `:`, so it cannot be `helper::…`);
    /// printable ASCII only. The OpenAPI document gives the same pattern.
    public static let pattern = "^(?:(?:https?|ssh|git|file)://[!-~]+|/[!-~]*|[A-Za-z0-9._][A-Za-z0-9._@-]*:[!-9;-~][!-~]*)$"
    public static let maximumLength = 2_000

    private static let expression = try! NSRegularExpression(pattern: pattern)

    /// Why `address` cannot be a repository address, nil when it can.
    public static func problem(_ address: String) -> String? {
        guard !address.isEmpty, address.count <= maximumLength else { return "repository must be 1–\(maximumLength) characters" }
        let range = NSRange(address.startIndex..., in: address)
        guard expression.firstMatch(in: address, range: range) != nil else {
            return "repository must be an https://, ssh://, git:// or file:// URL, user@host:path, or an absolute path (printable ASCII)"
        }
        return nil
    }
}
