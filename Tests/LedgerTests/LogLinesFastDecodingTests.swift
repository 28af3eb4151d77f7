import Foundation
import Testing
@testable import Ledger
import LedgerDomain

/// The hand-written decoder for log lines must read exactly what `JSONDecoder` reads, and step
/// aside (nil) for anything it does not handle.
@Suite struct LogLinesFastDecodingTests {
    static let awkwardMessages = [
        "plain", "", "quote \" and backslash \\ and slash /", "tab\tnew\nline\r", "control \u{01}\u{1F}", "é ü ß", "emoji 🚀 👩‍💻",
        "nul \u{0} inside", "json {\"a\":[1,2]}",
    ]

    static func randomEvent(_ generator: inout some RandomNumberGenerator) -> LogLinesAppended {
        let steps: [DeploymentStep?] = [nil, DeploymentStep.standardPipeline[0], DeploymentStep.standardPipeline[3], DeploymentStep(rawValue: "custom_step_7")]
        let lines = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
            LogLine(
                level: LogLevel.allCases.randomElement(using: &generator)!, step: steps.randomElement(using: &generator)!,
                message: awkwardMessages.randomElement(using: &generator)! + String(Int.random(in: 0...999, using: &generator)),
                data: Bool.random(using: &generator) ? nil : ["vm_ip": "10.0.0.\(Int.random(in: 0...255, using: &generator))", "quote": "\"", "": "é"],
                atMicroseconds: Int64.random(in: -5...Int64.max, using: &generator))
        }
        return LogLinesAppended(deploymentID: "dep-\(Int.random(in: 0...99, using: &generator))", lines: lines)
    }

    @Test func whatTheEncoderWritesDecodesToTheSameValue() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let event = Self.randomEvent(&generator)
            let data = try LedgerJSON.encode(event)
            let fast = try #require(LogLinesAppended.fastDecode(data), "\(String(decoding: data, as: UTF8.self))")
            #expect(fast == event)
            #expect(fast == (try LedgerJSON.decode(LogLinesAppended.self, from: data)))
        }
    }

    @Test func otherSpellingsOfTheSameJSONDecodeTheSame() throws {
        let documents = [
            #"  { "lines" : [ { "message" : "a\u00e9\ud83d\ude80" , "level":"info", "atMicroseconds": -0 , "step" : null, "data": {} } ] , "deploymentID":"d" }  "#,
            #"{"deploymentID":"d","lines":[]}"#,
            #"{"deploymentID":"d","lines":[{"atMicroseconds":9223372036854775807,"level":"error","message":"\/\b\f","step":"build"}]}"#,
        ]
        for document in documents {
            let data = Data(document.utf8)
            let fast = try #require(LogLinesAppended.fastDecode(data), "\(document)")
            #expect(fast == (try LedgerJSON.decode(LogLinesAppended.self, from: data)), "\(document)")
        }
    }

    @Test func anythingUnusualIsLeftToJSONDecoder() {
        let line = #""level":"info","message":"m","atMicroseconds":1"#
        let refused = [
            #"{"deploymentID":"d","lines":[{\#(line),"extra":1}]}"#,  // unknown key (JSONDecoder ignores it)
            #"{"deploymentID":"d","deploymentID":"e","lines":[]}"#,  // duplicate key
            #"{"deploymentID":"d","lines":[{"level":"info","message":"m","atMicroseconds":1e3}]}"#,  // exponent
            #"{"deploymentID":"d","lines":[{"level":"info","message":"m","atMicroseconds":1.0}]}"#,  // fraction
            #"{"deploymentID":"d","lines":[{"level":"info","message":"m","atMicroseconds":01}]}"#,  // leading zero
            #"{"deploymentID":"d","lines":[{"level":"info","message":"m","atMicroseconds":9223372036854775808}]}"#,  // overflow
            #"{"deploymentID":"d","lines":[{"level":"loud","message":"m","atMicroseconds":1}]}"#,  // unknown level
            #"{"deploymentID":"d","lines":[{"level":"info","step":"Bad Step","message":"m","atMicroseconds":1}]}"#,  // invalid step
            #"{"deploymentID":"d","lines":[{"level":"info","message":"\ud800","atMicroseconds":1}]}"#,  // lone surrogate
            #"{"deploymentID":"d","lines":[{"level":"info","message":"m"}]}"#,  // missing key
            #"{"deploymentID":"d","lines":[{\#(line),"data":{"k":1}}]}"#,  // non-string data value
            #"{"deploymentID":"d","lines":[{\#(line)}]} trailing"#,
            #"{"deploymentID":"d","lines":[{\#(line)},]}"#,  // trailing comma
            "{\"deploymentID\":\"a\u{1}b\",\"lines\":[]}",  // raw control character
            #"{"deploymentID":null,"lines":[]}"#,
            #"[]"#, "",
        ]
        for document in refused {
            #expect(LogLinesAppended.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        // Invalid UTF-8 inside a string.
        #expect(LogLinesAppended.fastDecode(Data([0x7B, 0x22, 0x64, 0xFF, 0x22, 0x3A, 0x31, 0x7D])) == nil)
    }

    @Test func domainDecodingStillFallsBackAndStillRejects() throws {
        // Fast path refuses (unknown key), JSONDecoder accepts: the event still decodes.
        let extra = Data(#"{"deploymentID":"d","lines":[{"level":"info","message":"m","atMicroseconds":1,"extra":true}]}"#.utf8)
        guard case .logLinesAppended(let event) = try DomainEvent(type: LogLinesAppended.eventType, schemaVersion: 1, data: extra) else {
            Issue.record("wrong case")
            return
        }
        #expect(event.lines.map(\.message) == ["m"])
        // Both refuse: the error is JSONDecoder's, as before.
        #expect(throws: (any Error).self) {
            try DomainEvent(type: LogLinesAppended.eventType, schemaVersion: 1, data: Data(#"{"deploymentID":"d","lines":[{"level":"loud"}]}"#.utf8))
        }
    }
}

/// The step events' fast decoders: the same values as `JSONDecoder`, or nil.
@Suite struct StepEventsFastDecodingTests {
    @Test func whatTheEncoderWritesDecodesToTheSameValue() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let step = DeploymentStep.standardPipeline.randomElement(using: &generator)!
            let started = StepStarted(deploymentID: "dep-\(Int.random(in: 0...999, using: &generator))", step: step)
            #expect(StepStarted.fastDecode(try LedgerJSON.encode(started)) == started)
            let completed = StepCompleted(
                deploymentID: started.deploymentID, step: step, durationMs: Int.random(in: 0...Int(Int32.max), using: &generator),
                summary: Bool.random(using: &generator) ? nil : LogLinesFastDecodingTests.awkwardMessages.randomElement(using: &generator)!)
            let data = try LedgerJSON.encode(completed)
            #expect(StepCompleted.fastDecode(data) == completed)
            #expect(StepCompleted.fastDecode(data) == (try LedgerJSON.decode(StepCompleted.self, from: data)))
        }
    }

    @Test func anythingUnusualIsLeftToJSONDecoder() {
        for document in [
            #"{"deploymentID":"d","step":"build","extra":1}"#, #"{"deploymentID":"d"}"#, #"{"deploymentID":"d","step":"Build!"}"#,
            #"{"deploymentID":"d","step":"build","step":"build"}"#, #"{"deploymentID":"d","step":"build"} x"#,
        ] {
            #expect(StepStarted.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        for document in [
            #"{"deploymentID":"d","step":"build","durationMs":1.5}"#, #"{"deploymentID":"d","step":"build","durationMs":"1"}"#,
            #"{"deploymentID":"d","step":"build","durationMs":1,"summary":7}"#, #"{"deploymentID":"d","step":"build"}"#,
        ] {
            #expect(StepCompleted.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        #expect(StepCompleted.fastDecode(Data(#" {"summary":null,"durationMs":0,"step":"build","deploymentID":"d"} "#.utf8))
            == StepCompleted(deploymentID: "d", step: DeploymentStep(rawValue: "build")!, durationMs: 0))
    }
}

/// The small lifecycle events' fast decoders: the same values as `JSONDecoder`, or nil.
@Suite struct LifecycleEventsFastDecodingTests {
    @Test func whatTheEncoderWritesDecodesToTheSameValue() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let id = LogLinesFastDecodingTests.awkwardMessages.randomElement(using: &generator)! + "\(Int.random(in: 0...999, using: &generator))"
            let queued = DeploymentQueued(deploymentID: id)
            #expect(DeploymentQueued.fastDecode(try LedgerJSON.encode(queued)) == queued)
            let succeeded = DeploymentSucceeded(deploymentID: id)
            #expect(DeploymentSucceeded.fastDecode(try LedgerJSON.encode(succeeded)) == succeeded)
            let started = DeploymentStarted(deploymentID: id, executor: "exec \"\(id)\"", lease: "lease-\(id)")
            #expect(DeploymentStarted.fastDecode(try LedgerJSON.encode(started)) == started)
            let began = EnvironmentDeploymentBegan(
                environmentID: "env-\(id)", deploymentID: id, number: Int.random(in: Int.min...Int.max, using: &generator),
                trigger: DeploymentTrigger.allCases.randomElement(using: &generator)!)
            let data = try LedgerJSON.encode(began)
            #expect(EnvironmentDeploymentBegan.fastDecode(data) == began)
            #expect(EnvironmentDeploymentBegan.fastDecode(data) == (try LedgerJSON.decode(EnvironmentDeploymentBegan.self, from: data)))
        }
    }

    @Test func anythingUnusualIsLeftToJSONDecoder() {
        for document in [
            #"{"deploymentID":"d","extra":1}"#, #"{}"#, #"{"deploymentID":"d","deploymentID":"d"}"#, #"{"deploymentID":7}"#,
            #"{"deploymentID":"d"} x"#, #"{"deploymentID":null}"#, #"{"deploymentID":["d"]}"#,
        ] {
            #expect(DeploymentQueued.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        let began = #""environmentID":"e","deploymentID":"d""#
        for document in [
            #"{\#(began),"number":1.0,"trigger":"manual"}"#, #"{\#(began),"number":"1","trigger":"manual"}"#,
            #"{\#(began),"number":1,"trigger":"sometimes"}"#, #"{\#(began),"number":1}"#, #"{\#(began),"number":1e2,"trigger":"manual"}"#,
        ] {
            #expect(EnvironmentDeploymentBegan.fastDecode(Data(document.utf8)) == nil, "\(document)")
        }
        #expect(DeploymentStarted.fastDecode(Data(#" { "lease" : "l" , "executor":"e","deploymentID":"d"} "#.utf8))
            == DeploymentStarted(deploymentID: "d", executor: "e", lease: "l"))
    }
}

/// The hand-written encoding of log lines: the same bytes `LedgerJSON.encode` writes, whatever
/// the lines hold (quotes, backslashes, control characters, non-ASCII, structured data).
@Suite struct LogLinesFastEncodingTests {
    @Test func theFastEncodingIsTheSameDocumentAsJSONEncoders() throws {
        let step = DeploymentStep(rawValue: "building")!
        let event = LogLinesAppended(deploymentID: "d-1", lines: [
            LogLine(level: .info, step: step, message: "plain", atMicroseconds: 1_795_000_000_000_000),
            LogLine(level: .warning, step: nil, message: "quote \" backslash \\ slash / tab \t newline \n cr \r bell \u{07} backspace \u{08} formfeed \u{0C} del \u{7F} é 日本 🚀", atMicroseconds: 2),
            LogLine(level: .error, step: step, message: "", data: ["vm_ip": "192.168.1.100", "a\"key": "v\u{01}"], atMicroseconds: -3),
        ])
        let fast = event.fastEncode()
        #expect(try LedgerJSON.decode(LogLinesAppended.self, from: fast) == event)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: try LedgerJSON.encode(event), as: UTF8.self))
        #expect(LogLinesAppended.fastDecode(fast) == event)
    }
}
