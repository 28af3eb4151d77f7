import CoreMetrics
import Foundation
import Ledger
import Metrics
import Prometheus
import Projections

/// The process's metrics, through swift-metrics into one Prometheus registry that `/metrics`
/// renders: what the parts of the process record as it happens (appends, HTTP requests, rate
/// limiting) and, at each scrape, gauges read from the database (projection positions and lag,
/// executor jobs by state) and from the gateway (live streams, Redis).
public struct GatewayMetrics: Sendable {
    /// The process's one registry; swift-metrics is bootstrapped into it once.
    public static let registry = PrometheusCollectorRegistry()

    /// What the whole process records through.
    public let factory: any MetricsFactory

    private static let bootstrapped: PrometheusMetricsFactory = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in (prometheusName(name), labels.map { (prometheusLabel($0.0), $0.1) }) }
        MetricsSystem.bootstrap(factory)
        return factory
    }()

    /// Bootstraps swift-metrics for the process (once; later calls do nothing).
    public static func bootstrap() -> GatewayMetrics { GatewayMetrics(factory: bootstrapped) }

    /// Hummingbird's request metrics under the ledger's names; anything else made valid.
    public static func prometheusName(_ name: String) -> String {
        let known = [
            "hb.requests": "ledger_http_requests_total", "hb.request.errors": "ledger_http_request_errors_total",
            "http.server.request.duration": "ledger_http_request_duration_seconds",
            "http.server.active_requests": "ledger_http_active_requests",
        ]
        return known[name] ?? sanitised(name)
    }

    public static func prometheusLabel(_ label: String) -> String {
        let known = ["http.route": "route", "http.request.method": "method", "http.response.status_code": "status"]
        return known[label] ?? sanitised(label)
    }

    private static func sanitised(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }

    /// Renders the process's recorded metrics and, read now, the gauges of this scrape (in a
    /// registry of their own, so that concurrent scrapes never mix) in Prometheus's text format.
    func render(
        head: Int64, projections: [ProjectionStatus], jobs: [String: Int], streams: Int, redis: Bool?
    ) -> [UInt8] {
        let now = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            // The unit is part of each name already; an empty unit adds nothing to it.
            now.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels).set(value)
        }
        gauge("ledger_head_position", "Global position of the newest event in the log.", [], Double(head))
        for projection in projections {
            let labels = [("projection", projection.name)]
            gauge("ledger_projection_position", "Last log position the projection has applied.", labels, Double(projection.position))
            gauge("ledger_projection_lag_events", "Positions between the log's head and the projection.", labels, Double(projection.lag))
            gauge("ledger_projection_rate_events_per_second", "Events applied per second recently.", labels, projection.rate)
            gauge("ledger_projection_failed", "1 while a bad event stops the projection.", labels, projection.state == "failed" ? 1 : 0)
            gauge("ledger_projection_missing", "1 when the projection has no live copy yet.", labels, projection.state == "missing" ? 1 : 0)
            if projection.state == "failed", let position = projection.failedPosition {
                gauge(
                    "ledger_projection_failure_info", "The event that stopped the projection.",
                    labels + [("position", String(position)), ("event_type", projection.failedEventType ?? "")], 1)
            }
        }
        for state in ["queued", "running", "failed"] {
            gauge("ledger_executor_jobs", "Deployments waiting for an executor, being run, and failed.", [("state", state)], Double(jobs[state] ?? 0))
        }
        gauge("ledger_sse_clients", "Live event streams connected to this gateway.", [], Double(streams))
        if let redis { gauge("ledger_redis_available", "1 while Redis answers and the live subscription is up.", [], redis ? 1 : 0) }
        return Self.registry.emitToBuffer() + now.emitToBuffer()
    }
}
