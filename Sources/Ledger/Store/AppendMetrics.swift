import Metrics

/// What appends record through swift-metrics (a no-op until the process bootstraps a metrics
/// backend, as the gateway does): events appended, and each append's latency as a histogram.
enum AppendMetrics {
    private static let events = Counter(label: "ledger_events_appended_total")
    private static let appends = Counter(label: "ledger_appends_total")
    private static let latency = Timer(label: "ledger_append_duration_seconds")

    static func record(events count: Int, since started: ContinuousClock.Instant) {
        events.increment(by: count)
        appends.increment()
        latency.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
    }
}
