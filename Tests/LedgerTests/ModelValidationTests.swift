import Foundation
import Testing
import Ledger

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
