import Foundation
import Testing
import Ledger

/// The hand-written metadata decoder reads exactly what `JSONDecoder` reads, and steps aside
/// (nil) for anything else.
@Suite struct EventMetadataFastDecodingTests {
    @Test func whatTheEncoderWritesDecodesToTheSameValue() throws {
        let texts: [String?] = [nil, "", "user:ana@example.com", "quote \" backslash \\ tab\t", "é 🚀"]
        for _ in 0..<300 {
            let metadata = EventMetadata(
                actor: texts.randomElement()!, organisation: texts.randomElement()!, project: texts.randomElement()!,
                correlationID: Bool.random() ? UUID() : nil, causationID: Bool.random() ? UUID() : nil,
                requestID: texts.randomElement()!, source: texts.randomElement()!)
            let data = try LedgerJSON.encode(metadata)
            #expect(EventMetadata.fastDecode(data) == metadata, "\(String(decoding: data, as: UTF8.self))")
            #expect(EventMetadata.fastDecode(data) == (try LedgerJSON.decode(EventMetadata.self, from: data)))
        }
    }

    @Test func otherShapesAreLeftToTheFullDecoder() throws {
        let id = UUID()
        #expect(EventMetadata.fastDecode(Data(#"{"actor":null,"correlation_id":"\#(id.uuidString.lowercased())"}"#.utf8))
            == EventMetadata(correlationID: id))
        #expect(EventMetadata.fastDecode(Data("{}".utf8)) == EventMetadata())
        let refused = [
            #"{"actor":"a","actor":"b"}"#,  // a duplicate
            #"{"actor":"a","extra":"b"}"#,  // an unknown key
            #"{"extra":null}"#,  // an unknown key, even when null
            #"{"actor":1}"#,  // not a string
            #"{"correlation_id":"not-a-uuid"}"#,  // not an id
            #"{"actor":"a"} x"#,  // trailing bytes
            #"["actor"]"#,  // not an object
        ]
        for document in refused {
            #expect(EventMetadata.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        // What the full decoder makes of them stands: the malformed ones still fail.
        #expect(throws: (any Error).self) { try LedgerJSON.decode(EventMetadata.self, from: Data(#"{"correlation_id":"not-a-uuid"}"#.utf8)) }
        #expect(throws: (any Error).self) { try LedgerJSON.decode(EventMetadata.self, from: Data(#"{"actor":1}"#.utf8)) }
    }
}
