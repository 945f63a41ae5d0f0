//! The store's connection pools: one on the primary and one per read replica,
//! and which of them a read goes to.
//!
//! Reads go to the replicas in turn (round robin). A replica that cannot give
//! a connection, or whose connection fails under a query, is skipped for
//! [`PgConfig::replica_backoff`] and the read is answered by the primary, so a
//! replica going down costs no failed request. Replicas lag the primary by
//! their replay delay: right after an import a replica may still serve the
//! previous catalog for a moment.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use catalog_core::{PoolStatus, StoreError};
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::error::PgError;
use crate::store::PgConfig;

/// The primary's pool and the replicas' pools of one store.
pub(crate) struct Pools {
    primary: Pool<AsyncPgConnection>,
    replicas: Vec<Replica>,
    /// Round-robin counter over `replicas`.
    next: AtomicUsize,
    /// Origin of the replicas' `down_until` clocks.
    started: Instant,
    backoff: Duration,
}

/// One read replica and until when it is skipped.
struct Replica {
    pool: Pool<AsyncPgConnection>,
    /// Milliseconds after `Pools::started` before which the replica is not asked.
    down_until: AtomicU64,
}

impl Pools {
    /// Pools for the primary and each replica of `config`; connections are
    /// opened on first use.
    pub(crate) fn new(config: &PgConfig) -> Result<Pools, PgError> {
        let replicas = config
            .replica_urls
            .iter()
            .map(|url| {
                Ok(Replica {
                    pool: pool(url, config)?,
                    down_until: AtomicU64::new(0),
                })
            })
            .collect::<Result<_, PgError>>()?;
        Ok(Pools {
            primary: pool(&config.database_url, config)?,
            replicas,
            next: AtomicUsize::new(0),
            started: Instant::now(),
            backoff: config.replica_backoff,
        })
    }

    /// A connection to the primary.
    pub(crate) async fn primary(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        checkout(&self.primary).await
    }

    /// Runs the read-only `query` on the next replica that is up, or on the
    /// primary when there is none or the replica fails to answer (see the
    /// module documentation).
    pub(crate) async fn read<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if let Some((number, replica)) = self.next_replica() {
            let answer = match checkout(&replica.pool).await {
                Ok(conn) => query(&conn).await,
                Err(err) => Err(err),
            };
            match answer {
                Err(StoreError::Unavailable(reason)) => {
                    tracing::warn!(replica = number, %reason, backoff = ?self.backoff, "replica unavailable; reading from the primary");
                    let until = self.elapsed_ms().saturating_add(self.backoff.as_millis() as u64);
                    replica.down_until.store(until, Ordering::Relaxed);
                }
                answer => return answer,
            }
        }
        let conn = self.primary().await?;
        query(&conn).await
    }

    /// The next replica in turn that is not being skipped, with its number (from 1).
    fn next_replica(&self) -> Option<(usize, &Replica)> {
        if self.replicas.is_empty() {
            return None;
        }
        let now = self.elapsed_ms();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..self.replicas.len())
            .map(|offset| (start + offset) % self.replicas.len())
            .find(|&index| self.replicas[index].down_until.load(Ordering::Relaxed) <= now)
            .map(|index| (index + 1, &self.replicas[index]))
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A snapshot of every pool: `primary`, then `replica-1`, `replica-2`, ...
    pub(crate) fn status(&self) -> Vec<PoolStatus> {
        let replicas = self.replicas.iter().enumerate().map(|(index, replica)| {
            let name = format!("replica-{}", index + 1);
            (name, &replica.pool)
        });
        std::iter::once(("primary".to_owned(), &self.primary))
            .chain(replicas)
            .map(|(name, pool)| {
                let status = pool.status();
                PoolStatus {
                    name,
                    max_size: status.max_size,
                    open: status.size,
                    idle: status.available,
                    waiting: status.waiting,
                }
            })
            .collect()
    }
}

/// A pool on `url` with the timeouts and size of `config`. It skips the
/// per-checkout test query and drops connections found closed, so it recovers
/// by itself when the server comes back.
fn pool(url: &str, config: &PgConfig) -> Result<Pool<AsyncPgConnection>, PgError> {
    let statement_timeout = config.statement_timeout.as_millis();
    let connect_timeout = config.connect_timeout;
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = Box::new(move |url| {
        async move {
            let connect = AsyncPgConnection::establish(url);
            let mut conn = tokio::time::timeout(connect_timeout, connect)
                .await
                .map_err(|_| diesel::ConnectionError::BadConnection("connect timed out".into()))??;
            let setup = format!("SET search_path = catalog; SET statement_timeout = {statement_timeout}");
            conn.batch_execute(&setup)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, manager_config);
    Pool::builder(manager)
        .max_size(config.pool_size)
        .wait_timeout(Some(config.connect_timeout))
        .create_timeout(Some(config.connect_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|err| PgError::Connect(err.to_string()))
}

/// A pooled connection; a server that cannot be reached is [`StoreError::Unavailable`].
async fn checkout(pool: &Pool<AsyncPgConnection>) -> Result<Object<AsyncPgConnection>, StoreError> {
    pool.get().await.map_err(|err| match err {
        PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => StoreError::Unavailable(err.to_string()),
        other => StoreError::Internal(other.to_string()),
    })
}
