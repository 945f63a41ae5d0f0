//! The store's pool against a real server: readiness while every connection
//! is busy, and a read that waits on a lock ending as a 503 at the statement
//! timeout, not hanging.

use std::time::Duration;

use catalog_core::{CatalogStore, ProductId, StoreError, UnavailableKind};
use catalog_pg::testing::TestDatabase;
use catalog_pg::{PgConfig, PgStore, migrate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// A fresh migrated database and a store on it with one pooled connection
/// and these timeouts.
async fn one_connection_store(statement_timeout: Duration, connect_timeout: Duration) -> (TestDatabase, PgStore) {
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || migrate(&url))
        .await
        .unwrap()
        .expect("migrate");
    let mut config = PgConfig::new(db.url());
    config.pool_size = 1;
    config.statement_timeout = statement_timeout;
    config.connect_timeout = connect_timeout;
    let store = PgStore::connect(&config).await.expect("connect");
    (db, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_busy_with_requests_is_ready_and_a_blocked_read_is_a_503() {
    let (db, store) = one_connection_store(Duration::from_millis(1_500), Duration::from_millis(500)).await;
    store.ready().await.expect("ready while idle");

    // Another session holds a lock every read of products waits for, so the
    // pool's one connection stays busy with a read until the statement timeout.
    let mut locker = PgConnection::establish(db.url()).expect("connect the locker");
    locker
        .batch_execute("BEGIN; LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let blocked = tokio::spawn({
        let store = store.clone();
        async move { store.product(ProductId::new(1).unwrap()).await }
    });
    while store.pool_status()[0].idle > 0 || store.pool_status()[0].open == 0 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!blocked.is_finished(), "the read waits for the lock");
    store
        .ready()
        .await
        .expect("a pool whose connections are all in use is ready: its server answers them");

    let answer = blocked.await.unwrap();
    assert!(
        matches!(answer, Err(StoreError::Unavailable { kind: UnavailableKind::Timeout, ref source }) if source.to_string().contains("statement timeout")),
        "{answer:?}"
    );
    locker.batch_execute("ROLLBACK").expect("unlock");
    store.ready().await.expect("ready again");
}

/// With every connection busy and as many requests waiting as the pool
/// allows, one more read is refused at once as busy (a 503), instead of
/// joining the queue for the whole connect timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_beyond_the_bounded_queue_is_refused_at_once() {
    let (db, store) = one_connection_store(Duration::from_secs(5), Duration::from_secs(5)).await;
    let mut locker = PgConnection::establish(db.url()).expect("connect the locker");
    locker
        .batch_execute("BEGIN; LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let queued = catalog_pg::WAITERS_PER_CONNECTION;
    let waiting: Vec<_> = (0..=queued)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.product(ProductId::new(1).unwrap()).await })
        })
        .collect();
    // One holds the connection (blocked on the lock), the rest wait for it.
    while store.pool_status()[0].waiting < queued {
        tokio::task::yield_now().await;
    }
    let started = std::time::Instant::now();
    let refused = store.product(ProductId::new(1).unwrap()).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Unavailable {
                kind: UnavailableKind::PoolExhausted,
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once, not after the wait"
    );
    locker.batch_execute("ROLLBACK").expect("unlock");
    for read in waiting {
        assert!(matches!(read.await.unwrap(), Err(StoreError::ProductNotFound(1))));
    }
}
