//! Prometheus metrics of one service: requests by route and status, latency
//! by route, the response cache's hits and misses, and the store's connection
//! pools, for `GET /metrics`.
//!
//! Each service has its own registry (no global state), so several services,
//! or tests, can live in one process.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use catalog_core::CatalogStore;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::cache::ResponseCache;
use crate::server_metrics::ServerMetrics;

/// The content type of the Prometheus text format.
pub(crate) const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The metrics a service records and renders.
pub(crate) struct ServiceMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    cache_flushes: IntCounter,
    cache: Option<ResponseCache>,
    pool_connections: IntGaugeVec,
    pool_max_connections: IntGaugeVec,
    pool_waiting: IntGaugeVec,
    pool_up: IntGaugeVec,
    store_ready: IntGauge,
    store: Arc<dyn CatalogStore>,
    /// Held while rendering: the cache counters are brought up to date by a
    /// difference, which two scrapes at once would add twice.
    rendering: Mutex<()>,
}

impl ServiceMetrics {
    /// Metrics for a service over `store` whose answers go through `cache`, if any.
    pub(crate) fn new(
        store: Arc<dyn CatalogStore>,
        cache: Option<ResponseCache>,
        server: &ServerMetrics,
    ) -> ServiceMetrics {
        let requests = IntCounterVec::new(
            Opts::new("catalog_http_requests_total", "Requests answered, by route and status."),
            &["route", "status"],
        )
        .expect("valid metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("catalog_http_request_duration_seconds", "Time to answer, by route.")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid metric definition");
        let cache_hits = IntCounter::new("catalog_cache_hits_total", "Answers served from the response cache.")
            .expect("valid metric definition");
        let cache_misses = IntCounter::new(
            "catalog_cache_misses_total",
            "Answers the response cache asked the store for.",
        )
        .expect("valid metric definition");
        let cache_flushes = IntCounter::new(
            "catalog_cache_flushes_total",
            "Times the response cache was emptied whole (a new catalog generation).",
        )
        .expect("valid metric definition");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "catalog_store_pool_connections",
                "Open connections of the store's pools, by pool and state (in_use, idle).",
            ),
            &["pool", "state"],
        )
        .expect("valid metric definition");
        let pool_max_connections = IntGaugeVec::new(
            Opts::new(
                "catalog_store_pool_max_connections",
                "Most connections each pool opens.",
            ),
            &["pool"],
        )
        .expect("valid metric definition");
        let pool_waiting = IntGaugeVec::new(
            Opts::new(
                "catalog_store_pool_waiting",
                "Requests waiting for a connection, by pool.",
            ),
            &["pool"],
        )
        .expect("valid metric definition");
        let pool_up = IntGaugeVec::new(
            Opts::new(
                "catalog_store_pool_up",
                "1 while reads go to the pool, 0 while a replica that could not be reached is left out.",
            ),
            &["pool"],
        )
        .expect("valid metric definition");
        let store_ready = IntGauge::new(
            "catalog_store_ready",
            "1 if the store answered the readiness check made at this scrape (what /readyz answers), 0 if not.",
        )
        .expect("valid metric definition");
        let registry = Registry::new();
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(cache_hits.clone()),
            Box::new(cache_misses.clone()),
            Box::new(cache_flushes.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max_connections.clone()),
            Box::new(pool_waiting.clone()),
            Box::new(pool_up.clone()),
            Box::new(store_ready.clone()),
        ] {
            registry.register(collector).expect("metric names are unique");
        }
        server.register(&registry).expect("metric names are unique");
        ServiceMetrics {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            cache_flushes,
            cache,
            pool_connections,
            pool_max_connections,
            pool_waiting,
            pool_up,
            store_ready,
            store,
            rendering: Mutex::new(()),
        }
    }

    /// Records one answered request of the route labelled `route` (a
    /// [`RouteSpec::label`](crate::route_table::RouteSpec::label)).
    pub(crate) fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[route, itoa::Buffer::new().format(status)])
            .inc();
        self.latency.with_label_values(&[route]).observe(elapsed.as_secs_f64());
    }

    /// Everything recorded so far, in the Prometheus text format, with
    /// `ready` the answer of the readiness check made for this scrape.
    pub(crate) fn render(&self, ready: bool) -> Vec<u8> {
        let _rendering = self.rendering.lock().unwrap_or_else(PoisonError::into_inner);
        self.store_ready.set(i64::from(ready));
        if let Some(cache) = &self.cache {
            let stats = cache.stats();
            self.cache_hits.inc_by(stats.hits.saturating_sub(self.cache_hits.get()));
            self.cache_misses
                .inc_by(stats.misses.saturating_sub(self.cache_misses.get()));
            self.cache_flushes
                .inc_by(stats.flushes.saturating_sub(self.cache_flushes.get()));
        }
        for pool in self.store.pool_status() {
            let gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
            let in_use = pool.open.saturating_sub(pool.idle);
            self.pool_connections
                .with_label_values(&[pool.name.as_str(), "in_use"])
                .set(gauge(in_use));
            self.pool_connections
                .with_label_values(&[pool.name.as_str(), "idle"])
                .set(gauge(pool.idle));
            self.pool_max_connections
                .with_label_values(&[pool.name.as_str()])
                .set(gauge(pool.max_size));
            self.pool_waiting
                .with_label_values(&[pool.name.as_str()])
                .set(gauge(pool.waiting));
            self.pool_up
                .with_label_values(&[pool.name.as_str()])
                .set(i64::from(pool.up));
        }
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(%err, "cannot render the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_requests_are_rendered() {
        let metrics = ServiceMetrics::new(
            Arc::new(catalog_mem::MemStoreBuilder::new().build()),
            None,
            &ServerMetrics::new(),
        );
        metrics.observe("styles", 200, Duration::from_micros(300));
        metrics.observe("styles", 200, Duration::from_micros(700));
        metrics.observe("product", 400, Duration::from_micros(50));
        let text = String::from_utf8(metrics.render(true)).unwrap();
        assert!(
            text.contains(r#"catalog_http_requests_total{route="styles",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"catalog_http_requests_total{route="product",status="400"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"catalog_http_request_duration_seconds_bucket{route="styles",le="0.0005"} 1"#));
        assert!(text.contains(r#"catalog_http_request_duration_seconds_count{route="styles"} 2"#));
        assert!(text.contains("catalog_store_ready 1\n"), "{text}");
        let text = String::from_utf8(metrics.render(false)).unwrap();
        assert!(text.contains("catalog_store_ready 0\n"), "{text}");
    }
}
