//! What the server's limits did, for `/metrics`: requests shed, connections
//! refused or failed by kind, connections open. A cheap-to-clone handle that
//! the server records into and the service's registry renders.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Counters of the server's limits; clones share them.
#[derive(Clone)]
pub struct ServerMetrics {
    shed: IntCounterVec,
    refused: IntCounter,
    accept_errors: IntCounter,
    connection_errors: IntCounterVec,
    open: IntGauge,
}

impl std::fmt::Debug for ServerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerMetrics").field("open", &self.open.get()).finish()
    }
}

impl Default for ServerMetrics {
    fn default() -> ServerMetrics {
        ServerMetrics::new()
    }
}

impl ServerMetrics {
    /// New counters at zero, not yet in any registry.
    pub fn new() -> ServerMetrics {
        ServerMetrics {
            shed: IntCounterVec::new(
                Opts::new(
                    "catalog_http_shed_total",
                    "Requests answered 503 by the server's limits, by reason (overload: too many in flight; deadline: ran too long).",
                ),
                &["reason"],
            )
            .expect("valid metric definition"),
            refused: IntCounter::new(
                "catalog_http_connections_refused_total",
                "Connections closed on accept because the most open connections were open.",
            )
            .expect("valid metric definition"),
            accept_errors: IntCounter::new(
                "catalog_http_accept_errors_total",
                "Failed accepts (for example out of file descriptors).",
            )
            .expect("valid metric definition"),
            connection_errors: IntCounterVec::new(
                Opts::new(
                    "catalog_http_connection_errors_total",
                    "Connections that ended in an error, by kind (client-caused: header_timeout, incomplete, parse, reset).",
                ),
                &["kind"],
            )
            .expect("valid metric definition"),
            open: IntGauge::new("catalog_http_open_connections", "Connections open now.")
                .expect("valid metric definition"),
        }
    }

    /// Adds the counters to `registry`.
    pub(crate) fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.shed.clone()))?;
        registry.register(Box::new(self.refused.clone()))?;
        registry.register(Box::new(self.accept_errors.clone()))?;
        registry.register(Box::new(self.connection_errors.clone()))?;
        registry.register(Box::new(self.open.clone()))
    }

    /// Requests answered 503 so far for `reason` (`overload`, `deadline`).
    pub fn shed_count(&self, reason: &str) -> u64 {
        self.shed.with_label_values(&[reason]).get()
    }

    /// Connections closed on accept so far.
    pub fn refused_count(&self) -> u64 {
        self.refused.get()
    }

    /// Connections that ended in an error of `kind` so far.
    pub fn connection_error_count(&self, kind: &str) -> u64 {
        self.connection_errors.with_label_values(&[kind]).get()
    }

    /// Connections open now.
    pub fn open_connections(&self) -> i64 {
        self.open.get()
    }

    /// A request answered 503 for `reason`.
    pub(crate) fn shed(&self, reason: &str) {
        self.shed.with_label_values(&[reason]).inc();
    }

    /// A connection closed on accept.
    pub(crate) fn refused(&self) {
        self.refused.inc();
    }

    /// A failed accept.
    pub(crate) fn accept_failed(&self) {
        self.accept_errors.inc();
    }

    /// A connection opened; it counts as open until the guard is dropped.
    pub(crate) fn opened(&self) -> OpenConnection {
        self.open.inc();
        OpenConnection(self.open.clone())
    }

    /// A connection closed because it sent no whole request head in time
    /// (before hyper knew its protocol).
    pub(crate) fn first_head_timed_out(&self) {
        self.connection_errors.with_label_values(&["header_timeout"]).inc();
        tracing::debug!("connection closed: no request head within the header read timeout");
    }

    /// A connection that ended in `err`: a client's doing is logged at
    /// debug, anything else as a warning; both are counted by kind.
    pub(crate) fn connection_failed(&self, err: &(dyn std::error::Error + 'static)) {
        let kind = error_kind(err);
        self.connection_errors.with_label_values(&[kind]).inc();
        if kind == "other" {
            tracing::warn!(%err, "connection failed");
        } else {
            tracing::debug!(%err, kind, "connection ended by the client");
        }
    }
}

/// Keeps a connection counted as open.
pub(crate) struct OpenConnection(IntGauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What kind of connection error `err` is: the client's doing
/// (`header_timeout`, `incomplete`, `parse`, `reset`) or `other`.
fn error_kind(err: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut source = Some(err);
    while let Some(err) = source {
        if let Some(hyper) = err.downcast_ref::<hyper::Error>() {
            if hyper.is_timeout() {
                return "header_timeout";
            }
            if hyper.is_incomplete_message() || hyper.is_canceled() {
                return "incomplete";
            }
            if hyper.is_parse() || hyper.is_parse_status() {
                return "parse";
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | BrokenPipe | ConnectionAborted | UnexpectedEof | TimedOut
            ) {
                return "reset";
            }
        }
        source = err.source();
    }
    "other"
}
