import Testing
@testable import Gateway

/// What the gateway reads from every request before any handler runs: the bearer token and the
/// request id.
@Suite struct RequestParsingTests {
    @Test(arguments: [
        ("Bearer ldg_abc", "ldg_abc"), ("bearer ldg_abc", "ldg_abc"), ("BEARER  ldg_abc \t", "ldg_abc"), ("Bearer\tldg_abc", nil),
        ("Basic ldg_abc", nil), ("Bearer ", nil), ("Bearer    ", nil), ("Bearerldg_abc", nil), ("", nil),
    ] as [(String, String?)])
    func aBearerTokenIsTakenFromTheHeaderInAnyCaseOfTheScheme(header: String, token: String?) {
        #expect(AuthenticationMiddleware.bearerToken(header) == token)
    }

    @Test func aMissingHeaderHasNoToken() {
        #expect(AuthenticationMiddleware.bearerToken(nil) == nil)
    }

    @Test func newRequestIDsAreUUIDShapedAndNeverRepeat() {
        #expect(RequestIDs.format(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210) == "01234567-89ab-cdef-fedc-ba9876543210")
        let ids = (0..<1_000).map { _ in RequestIDs.next() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 36 && RequestIDMiddleware.wellFormed($0) == $0 }, "a new id is one a caller could send")
    }
}
