//! Which pool a read goes to: the replicas in turn, the primary standing in.
//!
//! Reads go to the replicas in turn (round robin). A replica that cannot be
//! reached (it refuses or drops the connection, or does not answer within
//! the statement timeout plus the connect timeout) is left out and the read
//! is answered by the primary, so a replica going down costs no failed
//! request. It is left out for [`PgConfig::replica_backoff`](crate::PgConfig::replica_backoff), doubled after
//! each failure in a row up to [`MAX_BACKOFF_FACTOR`](crate::health::MAX_BACKOFF_FACTOR) times; when that time is
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
//!
//! **Read your writes.** After a write that changed something, the store
//! remembers the primary's WAL position ([`Reads::fence`]); until a replica
//! has replayed past the highest such position, this instance's reads are
//! not sent to it but to the primary. Each replica's replayed position is
//! asked (`pg_last_wal_replay_lsn()`) only when a fence passes what it was
//! last seen to have replayed, so without writes reads cost what they did.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use catalog_core::{PoolStatus, StoreError};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use futures_util::future::{BoxFuture, try_join_all};

use crate::config::PgConfig;
use crate::connect::{Checkout, pool, run};
use crate::error::{PgError, ReadError};
use crate::health::Health;

/// Where the reads of one store go: the primary's pool and the replicas'.
pub(crate) struct Reads {
    primary: Pool<AsyncPgConnection>,
    replicas: Vec<Replica>,
    /// Round-robin counter over `replicas`.
    next: AtomicUsize,
    /// Origin of the replicas' clocks.
    started: Instant,
    backoff: Duration,
    /// Longest a checked-out connection may take to answer before its server
    /// counts as unreachable.
    answer_timeout: Duration,
    /// How long a replica is held out of rotation while one read tries it again.
    probe_hold: Duration,
    /// The highest WAL position (bytes) a write of this instance left on the
    /// primary: a replica serves reads once it has replayed past it.
    fence: AtomicU64,
}

/// One read replica and its health.
struct Replica {
    pool: Pool<AsyncPgConnection>,
    health: Health,
    /// The highest WAL position it was seen to have replayed.
    replayed: AtomicU64,
}

impl Reads {
    /// Reads over `primary` (shared with the writes) and a new pool for each
    /// replica of `config`.
    pub(crate) fn new(primary: Pool<AsyncPgConnection>, config: &PgConfig) -> Result<Reads, PgError> {
        let replicas = config
            .replica_urls
            .iter()
            .map(|url| {
                Ok(Replica {
                    pool: pool(url, config, config.pool_size)?,
                    health: Health::default(),
                    replayed: AtomicU64::new(0),
                })
            })
            .collect::<Result<_, PgError>>()?;
        let answer_timeout = config.answer_timeout();
        Ok(Reads {
            primary,
            replicas,
            next: AtomicUsize::new(0),
            started: Instant::now(),
            backoff: config.replica_backoff,
            answer_timeout,
            probe_hold: config.connect_timeout.saturating_add(answer_timeout),
            fence: AtomicU64::new(0),
        })
    }

    /// Whether reads may go to replicas (and so writes must set a fence).
    pub(crate) fn has_replicas(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// Reads go to no replica that has not replayed up to WAL position `lsn`.
    pub(crate) fn fence(&self, lsn: u64) {
        self.fence.fetch_max(lsn, Ordering::AcqRel);
    }

    /// Whether `replica` has replayed past the fence (asking it when the
    /// fence passed what it was last seen to have replayed); a replica that
    /// cannot tell is not caught up.
    async fn caught_up(&self, replica: &Replica, checkout: Checkout) -> bool {
        let fence = self.fence.load(Ordering::Acquire);
        if fence <= replica.replayed.load(Ordering::Acquire) {
            return true;
        }
        let replayed = run(&replica.pool, checkout, self.answer_timeout, &|conn| {
            use diesel::sql_types::BigInt;
            use diesel_async::RunQueryDsl;
            use futures_util::FutureExt;
            diesel::select(diesel::dsl::sql::<BigInt>(
                "coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)",
            ))
            .get_result::<i64>(&mut &*conn)
            .boxed()
        })
        .await;
        match replayed {
            Ok(lsn) => {
                let lsn = u64::try_from(lsn).unwrap_or(0);
                replica.replayed.fetch_max(lsn, Ordering::AcqRel);
                lsn >= fence
            }
            Err(_) => false,
        }
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
        try_join_all(pools.map(|pool| run(pool, Checkout::Wait, self.answer_timeout, &query)))
            .await
            .map_err(StoreError::from)
    }

    async fn read_with<T>(
        &self,
        checkout: Checkout,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, ReadError> {
        if let Some((number, replica)) = self.next_replica()
            && self.caught_up(replica, checkout).await
        {
            match run(&replica.pool, checkout, self.answer_timeout, &query).await {
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
        run(&self.primary, checkout, self.answer_timeout, &query).await
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

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    use futures_util::FutureExt;

    use super::*;

    fn reads_of(config: &PgConfig) -> Reads {
        Reads::new(
            pool(&config.database_url, config, config.pool_size).expect("pool"),
            config,
        )
        .expect("pools")
    }

    /// Reads whose one "replica" is the primary itself (`DATABASE_URL`), so a
    /// query can fail on its first call as a replica would and be seen
    /// answered by the second.
    fn pools() -> Reads {
        let url = crate::testing::with_database(&crate::testing::server_url(), "postgres");
        let mut config = PgConfig::new(&url);
        config.replica_urls = vec![url];
        config.replica_backoff = Duration::from_secs(60);
        reads_of(&config)
    }

    /// Reads once through `pools` with a query that fails with `first` on its
    /// first call and answers 7 after; returns the answer and the calls made.
    async fn read_failing_once(pools: &Reads, first: fn() -> DieselError) -> (Result<i32, ReadError>, usize) {
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

    fn replica_up(pools: &Reads) -> bool {
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
        assert!(matches!(answer, Err(ReadError::Store(StoreError::Internal { .. }))));
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
        let pools = reads_of(&config);
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
        assert!(matches!(
            answer,
            Err(ReadError::Store(StoreError::Unavailable {
                kind: catalog_core::UnavailableKind::Timeout,
                ..
            }))
        ));
        assert_eq!(calls, 1);
        assert!(replica_up(&pools));
    }
}
