//! The store's connection pools: one on the primary and one per read replica,
//! and which of them a read goes to.
//!
//! Reads go to the replicas in turn (round robin). A replica that cannot be
//! reached (it refuses or drops the connection, or does not answer within
//! the statement timeout plus the connect timeout) is left out and the read
//! is answered by the primary, so a replica going down costs no failed
//! request. It is left out for [`PgConfig::replica_backoff`], doubled after
//! each failure in a row up to [`MAX_BACKOFF_FACTOR`] times; when that time is
//! over, one read alone tries it again (the others keep going elsewhere), and
//! a read that succeeds brings it back. A replica that cancels a statement to
//! replay the primary's changes (a recovery conflict) stays in, and that read
//! is asked of the primary; so is a read that found no free connection to a
//! replica for the whole wait (its connections all held, by a saturated
//! replica or by one that stopped answering and is not yet found out). A
//! statement timeout, or no free connection to the primary, is a 503: the
//! server is up, and asking another would only double the wait. Replicas lag
//! the primary by their replay delay: right after an import a replica may
//! still serve the previous catalog for a moment.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use catalog_core::{PoolStatus, StoreError};
use deadpool::managed::TimeoutType;
use diesel::QueryResult;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, try_join_all};

use crate::error::{PgError, ReadError, read_error};
use crate::store::PgConfig;

/// How many times [`PgConfig::replica_backoff`] a replica that keeps failing
/// is left out at most.
pub(crate) const MAX_BACKOFF_FACTOR: u32 = 32;

/// The primary's pool and the replicas' pools of one store.
pub(crate) struct Pools {
    primary: Pool<AsyncPgConnection>,
    replicas: Vec<Replica>,
    /// Round-robin counter over `replicas`.
    next: AtomicUsize,
    /// Origin of the replicas' clocks.
    started: Instant,
    backoff: Duration,
    /// Longest a checked-out connection may take to answer before its server
    /// counts as unreachable (the statement timeout fires first on a server
    /// that is up).
    answer_timeout: Duration,
    /// How long a replica is held out of rotation while one read tries it again.
    probe_hold: Duration,
}

/// One read replica and its health.
struct Replica {
    pool: Pool<AsyncPgConnection>,
    health: Health,
}

/// Whether reads go to a replica, and for how long it is left out after failing.
#[derive(Default)]
struct Health {
    /// Milliseconds after `Pools::started` before which the replica is not
    /// asked; 0 while it is up.
    down_until: AtomicU64,
    /// Failures in a row; each doubles the time left out.
    failures: AtomicU32,
    /// A read is trying the replica again after its time out.
    probing: AtomicBool,
}

impl Health {
    /// Whether a read may go to the replica at `now`: it is up, or its time
    /// out is over and this read is the one that tries it (holding the others
    /// off for `hold` ms meanwhile).
    fn admits(&self, now: u64, hold: u64) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        if until == 0 {
            return true;
        }
        let claimed = until <= now
            && self
                .down_until
                .compare_exchange(
                    until,
                    now.saturating_add(hold).max(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if claimed {
            self.probing.store(true, Ordering::Relaxed);
        }
        claimed
    }

    /// The replica answered: it is up again.
    fn answered(&self) {
        if self.down_until.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
            self.probing.store(false, Ordering::Relaxed);
            self.down_until.store(0, Ordering::Relaxed);
        }
    }

    /// The replica could not be reached at `now`: leaves it out for `base`
    /// doubled per failure in a row (at most [`MAX_BACKOFF_FACTOR`] times),
    /// and returns for how long. Reads that were in flight together when it
    /// went down fail together, and count once: a failure while the replica
    /// is already left out, other than its probe's, returns `None`.
    fn failed(&self, now: u64, base: Duration) -> Option<Duration> {
        if self.down_until.load(Ordering::Relaxed) > now && !self.probing.swap(false, Ordering::Relaxed) {
            return None;
        }
        let failures = self.failures.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        let factor = 1u32 << failures.saturating_sub(1).min(MAX_BACKOFF_FACTOR.ilog2());
        let backoff = base.saturating_mul(factor);
        let until = now.saturating_add(backoff.as_millis() as u64).max(1);
        self.down_until.store(until, Ordering::Relaxed);
        Some(backoff)
    }

    /// Whether reads go to the replica at `now`.
    fn is_up(&self, now: u64) -> bool {
        self.down_until.load(Ordering::Relaxed) <= now
    }
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
                    health: Health::default(),
                })
            })
            .collect::<Result<_, PgError>>()?;
        let answer_timeout = config.statement_timeout.saturating_add(config.connect_timeout);
        Ok(Pools {
            primary: pool(&config.database_url, config)?,
            replicas,
            next: AtomicUsize::new(0),
            started: Instant::now(),
            backoff: config.replica_backoff,
            answer_timeout,
            probe_hold: config.connect_timeout.saturating_add(answer_timeout),
        })
    }

    /// Runs the read-only `query` on the next replica that is up, or on the
    /// primary when there is none, the replica cannot be reached or it had a
    /// recovery conflict (see the module documentation).
    pub(crate) async fn read<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, ReadError> {
        self.read_with(Checkout::Wait, query).await
    }

    /// Whether reads can be answered now: `probe`, a trivial statement,
    /// answers where reads go. A pool whose connections are all in use counts
    /// as ready at once, without waiting (its server is answering them), so a
    /// busy instance is not taken out of a load balancer's rotation.
    pub(crate) async fn ready(
        &self,
        probe: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<()>>,
    ) -> Result<(), StoreError> {
        match self.read_with(Checkout::NoWait, probe).await {
            Ok(()) | Err(ReadError::Busy(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Runs the read-only `query` on the primary and on every replica that
    /// reads go to now, at once: every answer, or the first error if any of
    /// them gave none. For questions whose answer depends on where a read
    /// goes, such as how far each replica has replayed.
    pub(crate) async fn read_everywhere<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<Vec<T>, StoreError> {
        let now = self.elapsed_ms();
        let pools = std::iter::once(&self.primary).chain(
            self.replicas
                .iter()
                .filter(|replica| replica.health.is_up(now))
                .map(|replica| &replica.pool),
        );
        try_join_all(pools.map(|pool| self.run(pool, Checkout::Wait, &query)))
            .await
            .map_err(StoreError::from)
    }

    async fn read_with<T>(
        &self,
        checkout: Checkout,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, ReadError> {
        if let Some((number, replica)) = self.next_replica() {
            match self.run(&replica.pool, checkout, &query).await {
                Err(ReadError::Unreachable(reason)) => {
                    if let Some(backoff) = replica.health.failed(self.elapsed_ms(), self.backoff) {
                        tracing::warn!(replica = number, %reason, ?backoff, "replica unreachable; left out, reading from the primary");
                    }
                }
                Err(ReadError::RecoveryConflict(reason)) => {
                    replica.health.answered();
                    tracing::info!(replica = number, %reason, "recovery conflict on the replica; reading from the primary");
                }
                // A probe that finds the replica busy has its answer (ready).
                Err(ReadError::Busy(reason)) if matches!(checkout, Checkout::Wait) => {
                    tracing::debug!(replica = number, %reason, "no free connection to the replica; reading from the primary");
                }
                answer => {
                    replica.health.answered();
                    return answer;
                }
            }
        }
        self.run(&self.primary, checkout, &query).await
    }

    /// Runs `query` on a connection of `pool`. A connection that does not
    /// answer within `answer_timeout` is dropped from the pool (its state is
    /// unknown) and its server counted unreachable.
    async fn run<T>(
        &self,
        pool: &Pool<AsyncPgConnection>,
        checkout: Checkout,
        query: &impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, ReadError> {
        let conn = checkout.connection(pool).await?;
        match tokio::time::timeout(self.answer_timeout, query(&conn)).await {
            Ok(answer) => answer.map_err(read_error),
            Err(_) => {
                drop(Object::take(conn));
                Err(ReadError::Unreachable(format!(
                    "no answer within {:?}",
                    self.answer_timeout
                )))
            }
        }
    }

    /// The next replica in turn that reads may go to, with its number (from 1).
    fn next_replica(&self) -> Option<(usize, &Replica)> {
        if self.replicas.is_empty() {
            return None;
        }
        let now = self.elapsed_ms();
        let hold = self.probe_hold.as_millis() as u64;
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..self.replicas.len())
            .map(|offset| (start + offset) % self.replicas.len())
            .find(|&index| self.replicas[index].health.admits(now, hold))
            .map(|index| (index + 1, &self.replicas[index]))
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A snapshot of every pool: `primary`, then `replica-1`, `replica-2`, ...
    pub(crate) fn status(&self) -> Vec<PoolStatus> {
        let now = self.elapsed_ms();
        let replicas = self.replicas.iter().enumerate().map(|(index, replica)| {
            let name = format!("replica-{}", index + 1);
            (name, &replica.pool, replica.health.is_up(now))
        });
        std::iter::once(("primary".to_owned(), &self.primary, true))
            .chain(replicas)
            .map(|(name, pool, up)| {
                let status = pool.status();
                PoolStatus {
                    name,
                    max_size: status.max_size,
                    open: status.size,
                    idle: status.available,
                    waiting: status.waiting,
                    up,
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

/// How a read takes a pooled connection.
#[derive(Clone, Copy)]
enum Checkout {
    /// Waits up to the pool's wait timeout for a free connection.
    Wait,
    /// Takes a free connection, or fails at once with [`ReadError::Busy`].
    NoWait,
}

impl Checkout {
    /// A pooled connection. A server that refuses or drops connections, or
    /// does not accept one in time, is unreachable; a pool whose connections
    /// are all in use for the whole wait is busy (the server is up).
    async fn connection(self, pool: &Pool<AsyncPgConnection>) -> Result<Object<AsyncPgConnection>, ReadError> {
        let connection = match self {
            Checkout::Wait => pool.get().await,
            Checkout::NoWait => {
                let mut timeouts = pool.timeouts();
                timeouts.wait = Some(Duration::ZERO);
                pool.timeout_get(&timeouts).await
            }
        };
        connection.map_err(|err| match err {
            PoolError::Timeout(TimeoutType::Wait) => ReadError::Busy(err.to_string()),
            PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => {
                ReadError::Unreachable(err.to_string())
            }
            other => ReadError::Store(StoreError::Internal(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use diesel::result::{DatabaseErrorKind, Error as DieselError};

    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    #[test]
    fn a_failing_replica_is_left_out_for_longer_each_time_up_to_the_cap() {
        let health = Health::default();
        assert!(health.admits(0, 50));
        let mut now = 1_000;
        let mut left_out = Vec::new();
        for _ in 0..8 {
            let backoff = health.failed(now, BASE).expect("a counted failure");
            left_out.push(backoff.as_millis());
            assert!(!health.is_up(now) && !health.admits(now, 50));
            now += backoff.as_millis() as u64;
            assert!(health.admits(now, 50), "the probe after the time out");
        }
        assert_eq!(left_out, [100, 200, 400, 800, 1_600, 3_200, 3_200, 3_200]);
    }

    #[test]
    fn reads_failing_together_count_once() {
        let health = Health::default();
        assert_eq!(health.failed(1_000, BASE), Some(BASE));
        assert_eq!(health.failed(1_000, BASE), None, "in flight when it went down");
        assert_eq!(health.failed(1_050, BASE), None);
        assert!(health.admits(1_100, 50));
        assert_eq!(health.failed(1_120, BASE), Some(2 * BASE), "the probe's failure counts");
    }

    #[test]
    fn when_the_time_is_over_one_read_tries_it_and_an_answer_brings_it_back() {
        let health = Health::default();
        assert!(health.failed(1_000, BASE).is_some());
        assert!(!health.admits(1_099, 50), "still left out");
        assert!(health.admits(1_100, 50), "the first read after the backoff tries it");
        assert!(!health.admits(1_101, 50), "the others keep going elsewhere meanwhile");
        assert!(
            health.admits(1_150, 50),
            "a try that never reported is retried after its hold"
        );
        health.answered();
        assert!(health.is_up(1_151) && health.admits(1_151, 50));
        assert_eq!(health.failed(2_000, BASE), Some(BASE), "an answer resets the doubling");
    }

    /// Pools whose one "replica" is the primary itself (`DATABASE_URL`), so a
    /// query can fail on its first call as a replica would and be seen
    /// answered by the second.
    fn pools() -> Pools {
        let url = crate::testing::with_database(&crate::testing::server_url(), "postgres");
        let mut config = PgConfig::new(&url);
        config.replica_urls = vec![url];
        config.replica_backoff = Duration::from_secs(60);
        Pools::new(&config).expect("pools")
    }

    /// Reads once through `pools` with a query that fails with `first` on its
    /// first call and answers 7 after; returns the answer and the calls made.
    async fn read_failing_once(pools: &Pools, first: fn() -> DieselError) -> (Result<i32, ReadError>, usize) {
        let calls = AtomicUsize::new(0);
        let answer = pools
            .read(|_conn| {
                let call = calls.fetch_add(1, Ordering::Relaxed);
                async move { if call == 0 { Err(first()) } else { Ok(7) } }.boxed()
            })
            .await;
        (answer, calls.load(Ordering::Relaxed))
    }

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    fn replica_up(pools: &Pools) -> bool {
        pools.status()[1].up
    }

    #[tokio::test]
    async fn an_unreachable_replica_is_left_out_and_the_primary_answers() {
        let pools = pools();
        let (answer, calls) = read_failing_once(&pools, || {
            database_error(DatabaseErrorKind::ClosedConnection, "server closed the connection")
        })
        .await;
        assert_eq!((answer.ok(), calls), (Some(7), 2));
        assert!(!replica_up(&pools));
        let (answer, calls) = read_failing_once(&pools, || DieselError::NotFound).await;
        assert!(matches!(answer, Err(ReadError::Store(StoreError::Internal(_)))));
        assert_eq!(
            calls, 1,
            "a replica left out is not asked: the primary had the one call"
        );
    }

    #[tokio::test]
    async fn a_question_asked_everywhere_needs_every_answer() {
        let pools = pools();
        let calls = AtomicUsize::new(0);
        let everywhere = pools
            .read_everywhere(|_conn| {
                let call = calls.fetch_add(1, Ordering::Relaxed);
                async move { Ok(call) }.boxed()
            })
            .await;
        assert_eq!(everywhere.unwrap().len(), 2, "the primary and the replica");
        let calls = AtomicUsize::new(0);
        let one_failing = pools
            .read_everywhere(|_conn| {
                let call = calls.fetch_add(1, Ordering::Relaxed);
                async move {
                    if call == 0 {
                        Err(DieselError::NotFound)
                    } else {
                        Ok(call)
                    }
                }
                .boxed()
            })
            .await;
        assert!(
            one_failing.is_err(),
            "not the other server's answer alone: {one_failing:?}"
        );
    }

    #[tokio::test]
    async fn a_busy_replica_is_ready_even_with_the_primary_down() {
        let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/catalog");
        config.replica_urls = vec![crate::testing::with_database(&crate::testing::server_url(), "postgres")];
        config.pool_size = 1;
        let pools = Pools::new(&config).expect("pools");
        let _held = pools.replicas[0]
            .pool
            .get()
            .await
            .expect("the replica's one connection");
        let probe = pools.ready(|_conn| async { Ok(()) }.boxed()).await;
        assert!(probe.is_ok(), "{probe:?}");
    }

    #[tokio::test]
    async fn a_recovery_conflict_is_asked_of_the_primary_and_the_replica_stays_in() {
        let pools = pools();
        let (answer, calls) = read_failing_once(&pools, || {
            database_error(
                DatabaseErrorKind::SerializationFailure,
                "canceling statement due to conflict with recovery",
            )
        })
        .await;
        assert_eq!((answer.ok(), calls), (Some(7), 2));
        assert!(replica_up(&pools));
    }

    #[tokio::test]
    async fn a_statement_timeout_is_a_503_without_asking_another_server() {
        let pools = pools();
        let (answer, calls) = read_failing_once(&pools, || {
            database_error(
                DatabaseErrorKind::Unknown,
                "canceling statement due to statement timeout",
            )
        })
        .await;
        assert!(matches!(answer, Err(ReadError::Store(StoreError::Unavailable(_)))));
        assert_eq!(calls, 1);
        assert!(replica_up(&pools));
    }
}
