import Hummingbird
import NIOCore
import Testing
@testable import Gateway

/// When a kept answer of a hot read may be served: only while the live feed is caught up, and
/// only while no event its answer does not reflect has been seen or written.
@Suite struct HotReadCacheTests {
    func answer(_ position: Int64, deployment: String? = "d1") -> HotReadCache.Answer {
        HotReadCache.Answer(
            body: ByteBuffer(string: "{}"), headers: [:], position: position, deployment: deployment, organisation: "acme", project: "shop")
    }

    @Test func nothingIsKeptOrServedUntilTheFeedIsCaughtUp() {
        let cache = HotReadCache()
        cache.keep(.progress("d1"), answer(10))
        #expect(cache.answer(.progress("d1")) == nil)
        cache.noteEvents([], through: 10, caughtUp: false)
        cache.keep(.progress("d1"), answer(10))
        #expect(cache.answer(.progress("d1")) == nil, "a feed still reading a backlog has not seen every event")
        cache.noteEvents([], through: 10, caughtUp: true)
        cache.keep(.progress("d1"), answer(10))
        #expect(cache.answer(.progress("d1")) != nil)
    }

    @Test func anAnswerFromBeforeTheFeedCaughtUpIsNeverUsed() {
        let cache = HotReadCache()
        cache.noteEvents([], through: 50, caughtUp: true)
        cache.keep(.progress("d1"), answer(40))
        #expect(cache.answer(.progress("d1")) == nil, "events between 40 and 50 were not all noted")
    }

    @Test func anEventOfTheDeploymentDropsItsAnswerButNotAnothers() {
        let cache = HotReadCache()
        cache.noteEvents([], through: 10, caughtUp: true)
        cache.keep(.progress("d1"), answer(10))
        cache.keep(.progress("d2"), answer(10, deployment: "d2"))
        cache.keep(.list("acme|*|"), answer(10, deployment: nil))
        cache.noteEvents([(deployment: "d1", position: 11)], through: 11, caughtUp: true)
        #expect(cache.answer(.progress("d1")) == nil)
        #expect(cache.answer(.progress("d2")) != nil)
        #expect(cache.answer(.list("acme|*|")) == nil, "a list page shows every deployment")
        // Read again once the projections reached the event, it is kept again.
        cache.keep(.progress("d1"), answer(11))
        #expect(cache.answer(.progress("d1")) != nil)
        // An answer read before the event, but kept after it was noted, is not.
        cache.noteEvents([(deployment: "d1", position: 12)], through: 12, caughtUp: true)
        cache.keep(.progress("d1"), answer(11))
        #expect(cache.answer(.progress("d1")) == nil)
    }

    @Test func aWriteThroughTheGatewayDropsEverythingFromBeforeIt() {
        let cache = HotReadCache()
        cache.noteEvents([], through: 10, caughtUp: true)
        cache.keep(.deployment("d2"), answer(10, deployment: "d2"))
        cache.noteWrite(at: 12)
        #expect(cache.answer(.deployment("d2")) == nil, "the write may have touched any stream")
        cache.keep(.deployment("d2"), answer(12, deployment: "d2"))
        #expect(cache.answer(.deployment("d2")) != nil)
    }

    @Test func aStoppedOrLaggingFeedEmptiesTheCache() {
        let cache = HotReadCache()
        cache.noteEvents([], through: 10, caughtUp: true)
        cache.keep(.progress("d1"), answer(10))
        cache.suspend()
        #expect(cache.answer(.progress("d1")) == nil)
        cache.noteEvents([], through: 10, caughtUp: true)
        #expect(cache.answer(.progress("d1")) == nil, "it starts empty")
        cache.keep(.progress("d1"), answer(10))
        cache.noteEvents([], through: 2_000, caughtUp: false)
        #expect(cache.answer(.progress("d1")) == nil)
    }
}
