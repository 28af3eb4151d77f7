import Foundation
@testable import Gateway
import Testing

/// The API's one key strategy: Swift names in, the seed's snake_case on the wire.
struct APIJSONTests {
    @Test(arguments: [
        ("organizationID", "organization_id"), ("memoryMB", "memory_mb"), ("diskGB", "disk_gb"), ("sshUser", "ssh_user"),
        ("rollbackFromID", "rollback_from_id"), ("durationMs", "duration_ms"), ("hostKeyFingerprint", "host_key_fingerprint"),
        ("id", "id"), ("webhookSecretSet", "webhook_secret_set"),
    ])
    func aSwiftNameTravelsAsItsSnakeCaseAndComesBack(_ swift: String, _ wire: String) {
        #expect(APIJSON.wireName(swift) == wire)
        #expect(APIJSON.swiftName(wire) == swift)
    }

    /// Every field the document names in a request body decodes to the Swift name that encodes
    /// back to it: a new field with an abbreviation the strategy does not know fails here.
    @Test func everyDocumentedRequestFieldRoundTrips() throws {
        var names: Set<String> = []
        for (name, schema) in OpenAPIDocument.schemas where name.hasSuffix("Request") {
            for key in ((schema as? [String: Any])?["properties"] as? [String: Any] ?? [:]).keys { names.insert(key) }
        }
        #expect(names.count > 20)
        for name in names { #expect(APIJSON.wireName(APIJSON.swiftName(name)) == name, "\(name)") }
    }

    /// Dictionary keys (settings, extra data) travel as they are, both ways.
    @Test func dictionaryKeysAreNotConverted() throws {
        struct Body: Codable, Equatable { var settingsByName: [String: String] }
        let body = Body(settingsByName: ["NODE_ENV": "production", "myFlag": "1"])
        let data = try APIJSON.encode(body)
        #expect(String(decoding: data, as: UTF8.self) == #"{"settings_by_name":{"NODE_ENV":"production","myFlag":"1"}}"#)
        #expect(try APIJSON.decode(Body.self, from: data) == body)
    }
}
