//! The store's connection pools: reads go where [`routing`](crate::routing)
//! sends them, writes always to the primary, each in one transaction.

use std::time::Duration;

use catalog_core::{PoolStatus, StoreError};
use diesel::QueryResult;
use diesel_async::RunQueryDsl;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, TryFutureExt};

use crate::config::PgConfig;
use crate::connect::{Checkout, no_answer, pool};
use crate::error::{PgError, ReadError, read_error};
use crate::routing::Reads;
use crate::schema_check::SchemaGate;

/// The session setting of every write transaction. The cluster runs with
/// `synchronous_commit = off` (a crash may lose the last commits, which is
/// fine for imports and reads, whose work is redone): an acknowledged write
/// must be on disk first.
const DURABLE_COMMIT: &str = "SET LOCAL synchronous_commit = on";

/// `work` in a transaction on `conn` whose `BEGIN` and [`DURABLE_COMMIT`] go
/// in one round trip; committed when `work` succeeds, rolled back otherwise
/// (what `AsyncConnection::transaction` does, one round trip shorter).
async fn durable_transaction<T, E: From<diesel::result::Error>>(
    conn: &mut AsyncPgConnection,
    work: impl for<'c> FnOnce(&'c mut AsyncPgConnection) -> BoxFuture<'c, Result<T, E>>,
) -> Result<T, E> {
    AnsiTransactionManager::begin_transaction_sql(conn, &format!("BEGIN; {DURABLE_COMMIT}")).await?;
    match work(conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(failed) => match AnsiTransactionManager::rollback_transaction(conn).await {
            // A broken transaction manager: the pool drops the connection.
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(failed),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Longest a write waits in line for a connection of the primary: writes
/// queue rather than being shed, so a burst on one SKU is served in turn.
const WRITE_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The primary's pool and the replicas' pools of one store.
pub(crate) struct Pools {
    reads: Reads,
    /// The primary's read pool, shared with `reads`.
    primary: Pool<AsyncPgConnection>,
    /// The primary's write pool (see [`PgConfig::write_pool_size`]).
    writes: Pool<AsyncPgConnection>,
    /// Longest a write may take before its connection counts as lost.
    answer_timeout: Duration,
    /// Shut until the catalog schema is known to be there.
    gate: SchemaGate,
}

impl Pools {
    /// Pools for the primary and each replica of `config`; connections are
    /// opened on first use.
    pub(crate) fn new(config: &PgConfig) -> Result<Pools, PgError> {
        let primary = pool(&config.database_url, config, config.pool_size)?;
        Ok(Pools {
            reads: Reads::new(primary.clone(), config)?,
            primary,
            writes: pool(&config.database_url, config, config.write_pool_size)?,
            answer_timeout: config.answer_timeout(),
            gate: SchemaGate::new(),
        })
    }

    /// Runs the schema check now (see [`SchemaGate::check`]): `true` when
    /// the catalog schema is there, and every query may pass.
    pub(crate) async fn check_schema(&self) -> Result<bool, ReadError> {
        self.gate.check(&self.reads).await
    }

    /// Runs the read-only `query` where reads go (see [`Reads::read`]).
    pub(crate) async fn read<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, ReadError> {
        self.gate.pass(&self.reads).await?;
        self.reads.read(query).await
    }

    /// Whether reads can be answered now (see [`Reads::ready`]).
    pub(crate) async fn ready(
        &self,
        probe: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<()>>,
    ) -> Result<(), StoreError> {
        self.gate.pass(&self.reads).await.map_err(StoreError::from)?;
        self.reads.ready(probe).await
    }

    /// Runs `query` on every server reads go to (see [`Reads::read_everywhere`]).
    pub(crate) async fn read_everywhere<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<Vec<T>, StoreError> {
        self.gate.pass(&self.reads).await.map_err(StoreError::from)?;
        self.reads.read_everywhere(query).await
    }

    /// A snapshot of every pool: `primary`, then `replica-1`, `replica-2`,
    /// ..., then `primary-writes`.
    pub(crate) fn status(&self) -> Vec<PoolStatus> {
        let mut pools = self.reads.status();
        let writes = self.writes.status();
        pools.push(PoolStatus {
            name: "primary-writes".to_owned(),
            max_size: writes.max_size,
            open: writes.size,
            idle: writes.available,
            waiting: writes.waiting,
            up: <[PoolStatus]>::first(&pools).is_none_or(|primary| primary.up),
        });
        pools
    }

    /// Runs `work` in one transaction on the primary, never on a replica,
    /// with `synchronous_commit = on`: it commits when `work` succeeds (and
    /// answers once the commit is durable), and rolls back when it fails.
    /// Errors map as reads' do (an unreachable primary or a statement
    /// timeout is [`StoreError::Unavailable`]); a transaction that gives no
    /// answer within the statement timeout plus the connect timeout loses its
    /// connection, which rolls it back.
    #[cfg_attr(not(test), allow(dead_code))] // the writes use `transact`
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        work: impl for<'c> FnOnce(&'c mut AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.transact(|conn| work(conn).map_err(Failed::Query).boxed())
            .await
            .map_err(|failed| match failed {
                Failed::Query(err) => read_error(err).into(),
                Failed::Store(err) => err,
            })
    }

    /// [`write`](Self::write) with the error type of `work`: anything that a
    /// diesel error or a [`StoreError`] converts into (a diesel error stays
    /// as it is, for the caller to map with [`read_error`]).
    pub(crate) async fn transact<T, E>(
        &self,
        work: impl for<'c> FnOnce(&'c mut AsyncPgConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + From<StoreError> + Send + 'static,
    {
        self.gate
            .pass(&self.reads)
            .await
            .map_err(|err| E::from(StoreError::from(err)))?;
        let mut conn = Checkout::Queue(WRITE_QUEUE_WAIT)
            .connection(&self.writes)
            .await
            .map_err(|err| E::from(StoreError::from(err)))?;
        let answer_timeout = self.answer_timeout;
        // On its own task, so a caller that stops waiting (a client that hung
        // up) cancels nothing: dropped halfway, the transaction would go back
        // to the pool open, holding its locks until the connection is next
        // checked out.
        let transaction = tokio::spawn(async move {
            let transaction = durable_transaction(&mut conn, work);
            match tokio::time::timeout(answer_timeout, transaction).await {
                Ok(answer) => answer,
                Err(_) => {
                    drop(Object::take(conn));
                    Err(E::from(StoreError::from(no_answer(answer_timeout))))
                }
            }
        });
        match transaction.await {
            Ok(answer) => answer,
            Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
            // Only a runtime shutting down cancels the task.
            Err(_) => Err(E::from(StoreError::unavailable(
                catalog_core::UnavailableKind::Unreachable,
                "the service is stopping",
            ))),
        }
    }

    /// After a write that changed something (or a read of the change log
    /// that found entries, written anywhere): with replicas, remembers the
    /// primary's WAL position now (past the write's commit), so this
    /// instance reads from no replica that has not replayed it (see
    /// [`Reads::fence`]). Without replicas, nothing to do.
    pub(crate) async fn fence_after_write(&self) {
        if !self.reads.has_replicas() {
            return;
        }
        let position = self
            .read_primary(|conn| {
                diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint",
                ))
                .get_result::<i64>(&mut &*conn)
                .boxed()
            })
            .await;
        match position {
            Ok(lsn) => self.reads.fence(u64::try_from(lsn).unwrap_or(u64::MAX)),
            // Not knowing the position, no replica is known to have it.
            Err(err) => {
                tracing::warn!(%err, "cannot read the primary's WAL position after a write; reads stay on the primary");
                self.reads.fence(u64::MAX);
            }
        }
    }

    /// Runs the read-only `query` on the primary, never on a replica (for
    /// the writers' own reads: a SKU right after it changed).
    pub(crate) async fn read_primary<T>(
        &self,
        query: impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
    ) -> Result<T, StoreError> {
        self.gate.pass(&self.reads).await?;
        crate::connect::run(&self.primary, Checkout::Wait, self.answer_timeout, &query)
            .await
            .map_err(StoreError::from)
    }
}

/// Why a [`Pools::transact`] of plain queries failed.
enum Failed {
    Query(diesel::result::Error),
    Store(StoreError),
}

impl From<diesel::result::Error> for Failed {
    fn from(err: diesel::result::Error) -> Failed {
        Failed::Query(err)
    }
}

impl From<StoreError> for Failed {
    fn from(err: StoreError) -> Failed {
        Failed::Store(err)
    }
}

#[cfg(test)]
mod tests {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    use diesel::dsl::sql;
    use diesel::pg::PgConnection;
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::RunQueryDsl;
    use futures_util::FutureExt;

    use super::*;
    use crate::testing::{TestDatabase, server_url, with_database};

    /// Pools for `config` whose schema gate is open: these databases hold
    /// no catalog, and the gate is tested in `tests/pool_pg.rs`.
    fn open_pools(config: &PgConfig) -> Pools {
        let mut pools = Pools::new(config).expect("pools");
        pools.gate = SchemaGate::opened();
        pools
    }

    /// A fresh database with an empty table `public.writes (n integer)`.
    fn database() -> TestDatabase {
        let db = TestDatabase::empty();
        let mut conn = PgConnection::establish(db.url()).expect("connect");
        conn.batch_execute("CREATE TABLE public.writes (n integer NOT NULL)")
            .expect("create the table");
        db
    }

    /// The rows of `public.writes`, counted on a connection of its own.
    fn rows(db: &TestDatabase) -> i64 {
        let mut conn = PgConnection::establish(db.url()).expect("connect");
        let count = diesel::select(sql::<BigInt>("(SELECT count(*) FROM public.writes)"));
        diesel::RunQueryDsl::get_result(count, &mut conn).expect("count")
    }

    fn insert(conn: &mut AsyncPgConnection) -> BoxFuture<'_, QueryResult<usize>> {
        diesel::sql_query("INSERT INTO public.writes VALUES (1)")
            .execute(conn)
            .boxed()
    }

    /// Asks the text value of SQL `expression` in a write.
    fn written(expression: &'static str) -> impl FnOnce(&mut AsyncPgConnection) -> BoxFuture<'_, QueryResult<String>> {
        move |conn| diesel::select(sql::<Text>(expression)).get_result(conn).boxed()
    }

    /// Asks the text value of SQL `expression` in a read.
    async fn read(pools: &Pools, expression: &'static str) -> String {
        pools
            .read(|conn| diesel::select(sql::<Text>(expression)).get_result(&mut &*conn).boxed())
            .await
            .expect("a read")
    }

    #[tokio::test]
    async fn a_write_commits_and_a_failed_one_rolls_back() {
        let db = database();
        let pools = open_pools(&PgConfig::new(db.url()));
        assert_eq!(pools.write(insert).await.expect("a write"), 1);
        assert_eq!(rows(&db), 1, "committed");

        let failed = pools
            .write(|conn| {
                async move {
                    insert(conn).await?;
                    diesel::sql_query("SELECT 1 / 0").execute(conn).await
                }
                .boxed()
            })
            .await;
        assert!(matches!(failed, Err(StoreError::Internal { .. })), "{failed:?}");
        assert_eq!(rows(&db), 1, "the failed write's insert is rolled back");
        assert_eq!(pools.write(insert).await.expect("the connection is clean again"), 1);
        assert_eq!(rows(&db), 2);
    }

    #[tokio::test]
    async fn a_write_goes_to_the_primary_even_with_replicas() {
        let db = database();
        let mut config = PgConfig::new(db.url());
        // The "replica" is another database of the same server, so where a
        // statement ran shows in `current_database()`.
        config.replica_urls = vec![with_database(&server_url(), "postgres")];
        let pools = open_pools(&config);
        assert_eq!(
            read(&pools, "current_database()").await,
            "postgres",
            "reads go to the replica"
        );
        let written_to = pools.write(written("current_database()")).await.expect("a write");
        assert_eq!(Some(written_to.as_str()), db.url().rsplit('/').next());
    }

    #[tokio::test]
    async fn a_write_commits_synchronously_and_only_it() {
        let db = database();
        let mut config = PgConfig::new(db.url());
        config.write_pool_size = 1; // one write connection, read again after the write
        let pools = open_pools(&config);
        let setting = "current_setting('synchronous_commit')";
        let on_the_write_connection = async || {
            let conn = pools.writes.get().await.expect("the write connection");
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(setting))
                .get_result::<String>(&mut &*conn)
                .await
                .expect("the setting")
        };
        let before = on_the_write_connection().await;
        assert_eq!(pools.write(written(setting)).await.expect("a write"), "on");
        assert_eq!(
            on_the_write_connection().await,
            before,
            "SET LOCAL ends with the transaction"
        );
    }
}
