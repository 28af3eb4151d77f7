import Ledger

/// What git accepts as a branch or tag name and as a commit, checked before a reference is
/// recorded, so that nothing a request names can reach git as an option or be read by a shell:
/// `git check-ref-format`'s rules plus no leading `-`, and commits of 7–40 hex digits.
public enum GitRefRules {
    /// Why `name` is no branch or tag name, or nil when it is one.
    public static func problem(name: String, what: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= 255 else { return "\(what) must be 1–255 characters" }
        if name.hasPrefix("-") { return "\(what) may not start with '-'" }
        if let bad = scalars.first(where: { $0.value < 0x21 || $0.value == 0x7F || "~^:?*[\\".unicodeScalars.contains($0) }) {
            return "\(what) may not contain \(bad.value < 0x21 || bad.value == 0x7F ? "spaces or control characters" : "'\(Character(bad))'")"
        }
        for forbidden in ["..", "@{", "//", "/."] where name.contains(forbidden) { return "\(what) may not contain '\(forbidden)'" }
        if name == "@" || name.hasPrefix("/") || name.hasPrefix(".") || name.hasSuffix("/") || name.hasSuffix(".") || name.hasSuffix(".lock") {
            return "\(what) is not a valid git ref name"
        }
        return nil
    }

    /// Why `commit` is no (possibly abbreviated) commit id, or nil when it is one.
    public static func problem(commit: String) -> String? {
        guard (7...40).contains(commit.utf8.count), commit.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }) else {
            return "a commit is 7–40 hexadecimal digits"
        }
        return nil
    }

    /// Every problem of a reference's branch, tag and commit.
    public static func problems(_ git: GitReference) -> [String] {
        [
            git.branch.flatMap { $0.isEmpty ? nil : problem(name: $0, what: "branch") },
            git.tag.flatMap { $0.isEmpty ? nil : problem(name: $0, what: "tag") },
            git.commit.flatMap { $0.isEmpty ? nil : problem(commit: $0) },
        ].compactMap { $0 }
    }
}
