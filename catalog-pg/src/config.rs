//! [`PgConfig`]: where a [`PgStore`](crate::PgStore) connects, and its pools'
//! sizes and timeouts.

use std::time::Duration;

/// Connection settings of a [`PgStore`](crate::PgStore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConfig {
    /// The primary: `postgres://user@host:port/database`.
    pub database_url: String,
    /// Read replicas of the primary (streaming standbys); reads go to them in
    /// turn, and to the primary while none is up. Empty: all reads on the primary.
    pub replica_urls: Vec<String>,
    /// How long a replica that could not be reached is left out before one
    /// read tries it again; doubled after each failure in a row, up to 32 times.
    pub replica_backoff: Duration,
    /// Most connections each pool (the primary's, each replica's) opens.
    pub pool_size: usize,
    /// Longest a query may run before it is cancelled (the request gets a 503).
    pub statement_timeout: Duration,
    /// Longest to wait for a new connection or a free pooled one.
    pub connect_timeout: Duration,
    /// How the styles route is queried (both give the same answers).
    pub styles_query: StylesQuery,
}

/// The ways the styles route can ask PostgreSQL, kept so the benchmarks and
/// the load-test harness can compare them (all give the same answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StylesQuery {
    /// Four statements pipelined in one round trip (existence, styles, photos,
    /// SKUs), grouped in Rust.
    Pipelined,
    /// Two statements pipelined (existence, and the `style_details` view, which
    /// aggregates photos and SKUs into arrays with `array_agg`).
    Aggregated,
    /// One primary-key lookup in the `product_styles` read model, which the
    /// import builds with aggregate SQL: one row per product, its styles as a
    /// JSON document.
    #[default]
    ReadModel,
}

impl PgConfig {
    /// Defaults for `database_url`: no replicas, 8 connections (on 2 cores, 8
    /// and 16 served alike and 4 less: docs/bench/load/tuning.md), 2 s
    /// statement and connect timeouts, a failed replica left out for 1 s.
    pub fn new(database_url: impl Into<String>) -> PgConfig {
        PgConfig {
            database_url: database_url.into(),
            replica_urls: Vec::new(),
            replica_backoff: Duration::from_secs(1),
            pool_size: 8,
            statement_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            styles_query: StylesQuery::default(),
        }
    }

    /// Longest a checked-out connection may take to answer before its server
    /// counts as unreachable (the statement timeout fires first on a server
    /// that is up).
    pub(crate) fn answer_timeout(&self) -> Duration {
        self.statement_timeout.saturating_add(self.connect_timeout)
    }
}
