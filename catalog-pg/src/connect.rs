//! Connection set-up: a deadpool pool of diesel-async connections on one
//! server, with the session settings every connection starts with, and how a
//! connection is taken from it and asked a question.

use std::time::Duration;

use catalog_core::{InternalKind, StoreError};
use deadpool::managed::TimeoutType;
use diesel::QueryResult;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::config::PgConfig;
use crate::error::{PgError, ReadError, read_error};

/// A pool of at most `size` connections on `url` with the timeouts of
/// `config`; each connection
/// resolves tables in schema `catalog` and has `config`'s statement timeout.
/// It skips the per-checkout test query and drops connections found closed,
/// so it recovers by itself when the server comes back. Connections are
/// opened on first use.
pub(crate) fn pool(url: &str, config: &PgConfig, size: usize) -> Result<Pool<AsyncPgConnection>, PgError> {
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
        .max_size(size)
        .wait_timeout(Some(config.connect_timeout))
        .create_timeout(Some(config.connect_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(PgError::connect)
}

/// Runs the read-only `query` on a connection of `pool`. A connection that
/// does not answer within `answer_timeout` is dropped from the pool (its
/// state is unknown) and its server counted unreachable.
pub(crate) async fn run<T>(
    pool: &Pool<AsyncPgConnection>,
    checkout: Checkout,
    answer_timeout: Duration,
    query: &impl for<'c> Fn(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<T>>,
) -> Result<T, ReadError> {
    let conn = checkout.connection(pool).await?;
    match tokio::time::timeout(answer_timeout, query(&conn)).await {
        Ok(answer) => answer.map_err(read_error),
        Err(_) => {
            drop(Object::take(conn));
            Err(no_answer(answer_timeout))
        }
    }
}

/// The error of a connection that gave no answer within `answer_timeout`.
pub(crate) fn no_answer(answer_timeout: Duration) -> ReadError {
    ReadError::Unreachable(format!("no answer within {answer_timeout:?}").into())
}

/// Requests that may wait for a connection of a pool, per connection it
/// holds: one more than that is refused at once as busy (a 503), so a burst
/// against a slow database queues for a bounded time instead of piling up.
/// Sixteen: a healthy primary-key read holds a connection for well under a
/// millisecond, so 16 waiters per connection queue for a few milliseconds,
/// and an instance behind nginx (64 keep-alive connections per worker) or a
/// load test at 64 connections is not shed while the database keeps up (at
/// 4, one instance at 64 connections answered 64% of the mixed profile with
/// 503).
pub const WAITERS_PER_CONNECTION: usize = 16;

/// How a read takes a pooled connection.
#[derive(Clone, Copy)]
pub(crate) enum Checkout {
    /// Waits up to the pool's wait timeout for a free connection, unless
    /// the pool has all its connections open and busy and
    /// [`WAITERS_PER_CONNECTION`] times its size already wait: then fails at
    /// once with [`ReadError::Busy`].
    Wait,
    /// Takes a free connection, or fails at once with [`ReadError::Busy`].
    NoWait,
    /// Waits in line up to this long, however many wait (writes: a burst of
    /// sales of one SKU must queue, not be shed).
    Queue(Duration),
}

impl Checkout {
    /// A pooled connection. A server that refuses or drops connections, or
    /// does not accept one in time, is unreachable; a pool whose connections
    /// are all in use for the whole wait is busy (the server is up).
    pub(crate) async fn connection(
        self,
        pool: &Pool<AsyncPgConnection>,
    ) -> Result<Object<AsyncPgConnection>, ReadError> {
        let connection = match self {
            Checkout::Wait => {
                let status = pool.status();
                // Only a full pool sheds: while connections are still being
                // opened (at start, after the server came back) requests wait.
                let full = status.size >= status.max_size && status.available == 0;
                if full && status.waiting >= status.max_size.saturating_mul(WAITERS_PER_CONNECTION) {
                    return Err(ReadError::Busy(
                        format!("{} requests already wait for a connection", status.waiting).into(),
                    ));
                }
                pool.get().await
            }
            Checkout::NoWait => {
                let mut timeouts = pool.timeouts();
                timeouts.wait = Some(Duration::ZERO);
                pool.timeout_get(&timeouts).await
            }
            Checkout::Queue(wait) => {
                let mut timeouts = pool.timeouts();
                timeouts.wait = Some(wait);
                pool.timeout_get(&timeouts).await
            }
        };
        connection.map_err(|err| match err {
            PoolError::Timeout(TimeoutType::Wait) => ReadError::Busy(err.into()),
            PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => ReadError::Unreachable(err.into()),
            other => ReadError::Store(StoreError::internal(InternalKind::Query, other)),
        })
    }
}
