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
    /// Most connections each read pool (the primary's, each replica's) opens.
    pub pool_size: usize,
    /// Most connections the writes (and reads of the change log) open to the
    /// primary: a pool apart from the reads', so a write waiting for its
    /// commit to reach the disk never holds a connection a read needs.
    pub write_pool_size: usize,
    /// Longest a query may run before it is cancelled (the request gets a 503).
    pub statement_timeout: Duration,
    /// Longest to wait for a new connection or a free pooled one.
    pub connect_timeout: Duration,
}

impl PgConfig {
    /// Defaults for `database_url`: no replicas, 8 read connections (on 2
    /// cores, 8 and 16 served alike and 4 less: docs/bench/load/tuning.md)
    /// and 8 write connections (docs/bench/writes/README.md), 2 s
    /// statement and connect timeouts, a failed replica left out for 1 s.
    pub fn new(database_url: impl Into<String>) -> PgConfig {
        PgConfig {
            database_url: database_url.into(),
            replica_urls: Vec::new(),
            replica_backoff: Duration::from_secs(1),
            pool_size: 8,
            write_pool_size: 8,
            statement_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
        }
    }

    /// Longest a checked-out connection may take to answer before its server
    /// counts as unreachable (the statement timeout fires first on a server
    /// that is up).
    pub(crate) fn answer_timeout(&self) -> Duration {
        self.statement_timeout.saturating_add(self.connect_timeout)
    }
}
