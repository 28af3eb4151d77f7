import Crypto
import Foundation
import Ledger
import LedgerDomain

/// A push as a git host's webhook describes it (GitHub's and GitLab's push payloads share the
/// fields used here): the branch, the new head commit with its message and author, the files
/// the push changed (they choose a fast or a full deploy), and the repository's addresses.
public struct GitPush: Sendable, Equatable {
    public var branch: String?
    public var commit: String?
    public var message: String?
    public var author: String?
    /// The head commit's author's address (GitLab: the pusher's, when the commit does not say).
    public var authorEmail: String?
    public var changedFiles: [String]
    /// The branch was deleted: nothing to deploy.
    public var deleted: Bool
    /// Every address the payload gives for the repository (clone URLs, web URL, full name).
    public var repositories: [String]

    /// Reads a push payload; nil when the body is not a JSON object with a `ref`.
    public init?(payload: Data) {
        guard let json = try? JSONSerialization.jsonObject(with: payload) as? [String: Any], let ref = json["ref"] as? String else { return nil }
        branch = ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
        let after = (json["after"] as? String) ?? (json["checkout_sha"] as? String)
        deleted = (json["deleted"] as? Bool) == true || after.map { $0.allSatisfy { $0 == "0" } } == true
        commit = after
        let commits = json["commits"] as? [[String: Any]] ?? []
        // GitHub names the head commit; GitLab lists commits oldest first, the head last.
        let head = json["head_commit"] as? [String: Any] ?? commits.first { ($0["id"] as? String) == after } ?? commits.last
        message = (head?["message"] as? String).map { String($0.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
        author = ((head?["author"] as? [String: Any])?["name"] as? String) ?? (json["user_name"] as? String)
        authorEmail = ((head?["author"] as? [String: Any])?["email"] as? String) ?? (json["user_email"] as? String)
        var files: [String] = []
        for commit in commits {
            for key in ["added", "modified", "removed"] { files += commit[key] as? [String] ?? [] }
        }
        var seen = Set<String>()
        changedFiles = files.filter { seen.insert($0).inserted }
        repositories = Self.repositories(of: json)
    }

    /// The person of record behind the push: its head commit's author, by address when the
    /// payload gives one (a person's tokens are issued to the same name), else by name.
    public var requester: String? {
        [authorEmail, author].compactMap { $0 }.first { ProtectionRules.isPersonName($0) }
    }

    /// The repository addresses of any payload (a ping has no `ref` but names its repository).
    static func repositories(in payload: Data) -> [String]? {
        guard let json = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else { return nil }
        return repositories(of: json)
    }

    private static func repositories(of json: [String: Any]) -> [String] {
        let repository = json["repository"] as? [String: Any] ?? json["project"] as? [String: Any] ?? [:]
        return ["clone_url", "git_url", "ssh_url", "html_url", "url", "full_name", "git_http_url", "git_ssh_url", "web_url", "path_with_namespace"]
            .compactMap { repository[$0] as? String }
    }

    /// Whether a project's registered repository is among a payload's addresses (ignoring a
    /// trailing `.git` or `/` and letter case).
    static func repositories(_ repositories: [String], include registered: String?) -> Bool {
        guard let registered else { return false }
        func normalised(_ text: String) -> String {
            var text = text.lowercased()
            while text.hasSuffix("/") { text.removeLast() }
            if text.hasSuffix(".git") { text.removeLast(4) }
            return text
        }
        let wanted = normalised(registered)
        return repositories.contains { normalised($0) == wanted }
    }

    /// The git reference a deployment of this push records.
    var reference: GitReference {
        GitReference(branch: branch, commit: commit, message: message, author: author, changedFiles: changedFiles)
    }
}

/// Checks webhook signatures in constant time: GitHub's `X-Hub-Signature-256: sha256=<hex
/// HMAC-SHA256 of the raw body>` and GitLab's `X-Gitlab-Token: <secret>`.
enum WebhookSignature {
    static func gitHubValid(_ header: String?, body: Data, secret: String) -> Bool {
        guard let header, header.hasPrefix("sha256="), let given = hexBytes(header.dropFirst("sha256=".count)) else { return false }
        // swift-crypto compares in constant time.
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    static func gitLabValid(_ header: String?, secret: String) -> Bool {
        guard let header else { return false }
        // Compare digests, so that neither the length nor the content of the secret leaks through timing.
        return constantTimeEqual(Array(SHA256.hash(data: Data(header.utf8))), Array(SHA256.hash(data: Data(secret.utf8))))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
