import Foundation
import ChildProcess
import Testing
import Ledger
import LedgerDomain

@Suite struct ModelValidationTests {
    @Test func streamCategoryIsThePartBeforeTheFirstDash() throws {
        #expect(try StreamID("deployment-1-2").category == "deployment")
        #expect(try StreamID("audit").category == "audit")
    }

    @Test(arguments: ["", "has space", "tab\there", String(repeating: "x", count: 201)])
    func badStreamIDsAreRefused(_ name: String) {
        #expect(throws: LedgerError.self) { try StreamID(name) }
    }

    @Test func eventDataMustBeAJSONObject() {
        #expect(throws: LedgerError.self) { try NewEvent(type: "E", data: Data("[1,2]".utf8)) }
        #expect(throws: LedgerError.self) { try NewEvent(type: "E", data: Data("{nope".utf8)) }
        #expect(throws: LedgerError.self) { try NewEvent(type: "has space", data: Data("{}".utf8)) }
    }

    @Test func expectedVersionParsesTheCommandLineForms() {
        #expect(ExpectedVersion(parsing: "any") == .any)
        #expect(ExpectedVersion(parsing: "no-stream") == .noStream)
        #expect(ExpectedVersion(parsing: "7") == .exact(7))
        #expect(ExpectedVersion(parsing: "-1") == nil)
        #expect(ExpectedVersion(parsing: "seven") == nil)
    }

    @Test func databaseURLHidesItsPassword() throws {
        let url = try DatabaseURL(parsing: "postgres://app:s3cret@db.local:6543/ledger")
        #expect(url.host == "db.local" && url.port == 6543 && url.database == "ledger" && url.password == "s3cret")
        #expect(!url.description.contains("s3cret"))
        #expect(throws: LedgerError.self) { try DatabaseURL(parsing: "mysql://x@y/z") }
    }

    @Test func repeatedEventIdsInOneRequestAreRefused() throws {
        let event = try NewEvent(type: "E", data: Data("{}".utf8))
        let request = AppendRequest([StreamAppend(streamID: try StreamID("a-1"), events: [event, event])])
        #expect(throws: LedgerError.self) { try request.validate() }
    }
}

@Suite struct MetadataJSONTests {
    @Test func handWrittenMetadataJSONDecodesBackToTheSameValue() throws {
        let metadata = EventMetadata(
            actor: "ana \"the admin\" \\ o'brien\n\u{01}é", organisation: "org-1", project: nil,
            correlationID: UUID(), causationID: UUID(), requestID: "req-9", source: "cli")
        let decoded = try LedgerJSON.decode(EventMetadata.self, from: metadata.jsonData())
        #expect(decoded == metadata)
        #expect(String(decoding: EventMetadata(actor: "a", source: "s").jsonData(), as: UTF8.self) == #"{"actor":"a","source":"s"}"#)
        #expect(String(decoding: EventMetadata().jsonData(), as: UTF8.self) == "{}")
    }
}

@Suite struct RandomUUIDTests {
    /// Event ids come from `UUID.random()`: they must be version-4 UUIDs and never repeat.
    @Test func randomIdsAreVersionFourAndDistinct() {
        let ids = (0..<100_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(1_000) {
            #expect(id.uuid.6 >> 4 == 4, "version nibble of \(id)")
            #expect(id.uuid.8 >> 6 == 0b10, "variant bits of \(id)")
        }
        // The other 122 bits vary: every position of the text form takes more than one value.
        let texts = ids.prefix(1_000).map { Array($0.uuidString) }
        let varying = (0..<36).filter { index in Set(texts.map { $0[index] }).count > 1 }
        #expect(varying.count == 36 - 4 - 1, "only the four dashes and the version digit stay fixed")
    }
}

/// Branch and tag names are checked as git itself checks them (`git check-ref-format`, run here
/// as the independent judge), and never start with `-`; commits are 7–40 hex digits.
@Suite struct GitRefRulesTests {
    static let names = [
        "main", "feature/login", "release-1.2", "v1.0.0", "ü-branch", "main;touch${IFS}PWNED", "a..b", "a b", "a\tb", "a\nb", "x.lock",
        "x/", "/x", "a@{b", "@", "a/.b", ".a", "a//b", "a.b.", "a~1", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\u{7F}b", "",
    ]

    @Test func branchNamesAreJudgedAsGitJudgesThem() async throws {
        for name in Self.names {
            let git = try await ShellCommand.run("git check-ref-format --allow-onelevel \(ShellCommand.quote(name)) 2>/dev/null") == 0
            let ours = GitRefRules.problem(name: name, what: "branch") == nil
            #expect(ours == git, "\(name.debugDescription): git says \(git ? "valid" : "invalid")")
        }
    }

    @Test func aNameThatWouldBeAnOptionIsRefused() {
        for name in ["-x", "--upload-pack=touch /tmp/x", "--pathspec-from-file=/etc/passwd", "-"] {
            #expect(GitRefRules.problem(name: name, what: "branch")?.contains("'-'") == true, "\(name)")
        }
    }

    @Test func commitsAreSevenToFortyHexDigits() {
        for commit in ["abc1234", "ABCDEF0", String(repeating: "a", count: 40)] { #expect(GitRefRules.problem(commit: commit) == nil, "\(commit)") }
        for commit in ["abc123", String(repeating: "a", count: 41), "xyz1234", "-abc1234", "abc 1234", "abc1234\n"] {
            #expect(GitRefRules.problem(commit: commit) != nil, "\(commit.debugDescription)")
        }
    }
}
