@testable import Executors
import Ledger
import LedgerDomain
import Testing

/// Output to log lines: split per stream across chunks, unreadable bytes replaced and never
/// dropped, huge lines cut with a marker, batches taken by count.
@Suite struct LogBatcherTests {
    @Test func linesAreSplitPerStreamAcrossChunks() {
        let batcher = LogBatcher()
        batcher.begin(step: DeploymentStep(rawValue: "building")!)
        batcher.add(OutputChunk(.stdout, Array("hel".utf8)))
        batcher.add(OutputChunk(.stderr, Array("warn\r\n".utf8)))
        batcher.add(OutputChunk(.stdout, Array("lo\nwor".utf8)))
        batcher.flushPartialLines()
        let lines = batcher.take(limit: 10)
        #expect(lines.map(\.message) == ["warn", "hello", "wor"])
        #expect(lines.map(\.level) == [.warning, .info, .info])
        #expect(lines.allSatisfy { $0.step?.rawValue == "building" })
    }

    @Test func bytesThatAreNotUTF8AreReplacedNotDropped() {
        let batcher = LogBatcher()
        batcher.add(OutputChunk(.stdout, [0x61, 0xFF, 0x62, 0x00, 0x63, 0x0A]))
        #expect(batcher.take(limit: 1).first?.message == "a\u{FFFD}b\u{FFFD}c")
    }

    @Test func aHugeLineIsCutWithAMarker() {
        let batcher = LogBatcher()
        batcher.add(OutputChunk(.stdout, Array(repeating: 0x78, count: 10_000) + [0x0A]))
        let message = try! #require(batcher.take(limit: 1).first?.message)
        #expect(message.hasPrefix(String(repeating: "x", count: LogBatcher.maximumLineBytes)))
        #expect(message.hasSuffix("…[truncated 1808 bytes]"))
    }

    @Test func batchesAreTakenByCount() {
        let batcher = LogBatcher()
        batcher.add(OutputChunk(.stdout, Array((0..<2_500).map { "line \($0)\n" }.joined().utf8)))
        #expect(batcher.take(limit: 1_000).count == 1_000)
        #expect(batcher.take(limit: 1_000).first?.message == "line 1000")
        #expect(batcher.take(limit: 1_000).count == 500)
        #expect(batcher.take(limit: 1_000).isEmpty)
    }
}
