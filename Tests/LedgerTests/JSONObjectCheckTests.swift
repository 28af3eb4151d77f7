import Foundation
import Testing
@testable import Ledger

/// The payload check every append runs: it must accept every well-formed JSON object and
/// nothing that Foundation could not read back.
@Suite struct JSONObjectCheckTests {
    static let valid: [String] = [
        "{}", " {\n\t} \r\n", #"{"a":1}"#, #"{"a":-0,"b":0.5,"c":1e5,"d":1E+2,"e":-12.75e-3}"#,
        #"{"nested":{"list":[1,"two",true,false,null,{"x":[]},[]]}}"#,
        #"{"escapes":"\" \\ \/ \b \f \n \r \t \u0000 \u00e9 \ud83d\ude00"}"#,
        "{\"utf8\":\"é ü € 😀 \u{7F}\"}", #"{"big":123456789012345678901234567890}"#,
        #"{"dup":1,"dup":2}"#, #"{"tiny":1e-400}"#,
        "{\"deep\":" + String(repeating: "[", count: 400) + String(repeating: "]", count: 400) + "}",
    ]

    static let invalid: [String] = [
        "", " ", "[]", #""text""#, "1", "null", "{", "}", "{}{}", "{} x", #"{"a"}"#, #"{"a":}"#, #"{a:1}"#,
        #"{"a":1,}"#, #"{"a":[1,]}"#, #"{,}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#,
        #"{"a":+1}"#, #"{"a":1e400}"#, #"{"a":-1e400}"#, #"{"a":NaN}"#, #"{"a":tru}"#, #"{"a":nulls}"#,
        #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":"\ud800\u0041"}"#,
        "{\"a\":\"tab\tinside\"}", "{\"a\":\"line\nbreak\"}", #"{"a":"unterminated}"#, "\u{FEFF}{}",
        "{\"deep\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
    ]

    @Test(arguments: valid) func acceptsWellFormedObjects(_ text: String) {
        #expect(JSONObjectCheck.isObject(Data(text.utf8)))
        // The reference agrees (it has a few leniencies of its own, none of which are here).
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any])
    }

    @Test(arguments: invalid) func refusesEverythingElse(_ text: String) {
        #expect(!JSONObjectCheck.isObject(Data(text.utf8)))
    }

    @Test func refusesMalformedUTF8InStrings() {
        let sequences: [[UInt8]] = [
            [0xFF], [0x80], [0xC0, 0x80], [0xC2], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
            [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82],
        ]
        for sequence in sequences {
            let data = Data(#"{"a":""#.utf8) + sequence + Data(#""}"#.utf8)
            #expect(!JSONObjectCheck.isObject(data), "accepted \(sequence)")
        }
        #expect(JSONObjectCheck.isObject(Data(#"{"a":""#.utf8) + [0xF0, 0x9F, 0x98, 0x80] + Data(#""}"#.utf8)))
    }

    /// Random single-byte damage to valid documents: whatever the check still accepts, Foundation
    /// must read as an object too (the check may only be stricter, never looser).
    @Test func damagedDocumentsItAcceptsAreReadableObjects() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]:,"\ u0123456789abcdefeE+-.tfnrl"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = Array(Self.valid.randomElement(using: &generator)!.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            let data = Data(bytes)
            if JSONObjectCheck.isObject(data) {
                accepted += 1
                #expect((try? JSONSerialization.jsonObject(with: data)) is [String: Any], "accepted \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            }
        }
        // Some damage leaves valid JSON (a digit for a digit, a changed letter in a string).
        #expect(accepted > 100)
    }
}
