//! The store's pool against a real server: readiness while every connection
//! is busy, a read that waits on a lock ending as a 503 at the statement
//! timeout, not hanging, and a store opened while the server takes no
//! connection for it serving once the server does.

mod common;

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

/// A login role of its own on a test database, created with `CONNECTION
/// LIMIT 0`: the server refuses it with SQLSTATE 53300, as when another
/// client holds every slot. Dropped with its grants, even when a test fails.
struct RefusedRole<'d> {
    db: &'d TestDatabase,
    name: String,
}

impl<'d> RefusedRole<'d> {
    /// The role, with `grants` (SQL naming the role as `{role}`) run after.
    fn create(db: &'d TestDatabase, grants: &str) -> RefusedRole<'d> {
        let database = db.url().rsplit('/').next().expect("a database name");
        let name = format!("shop_{database}");
        let grants = grants.replace("{role}", &name);
        catalog_pg::testing::execute(
            db.url(),
            &format!("CREATE ROLE {name} LOGIN CONNECTION LIMIT 0; {grants}"),
        );
        RefusedRole { db, name }
    }

    /// The database's URL with this role as its user.
    fn url(&self) -> String {
        let (scheme, rest) = self.db.url().split_once("://").expect("a URL");
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        format!("{scheme}://{}@{host}", self.name)
    }

    /// From now on the server takes the role's connections.
    fn admit(&self) {
        catalog_pg::testing::execute(self.db.url(), &format!("ALTER ROLE {} CONNECTION LIMIT -1", self.name));
    }
}

impl Drop for RefusedRole<'_> {
    fn drop(&mut self) {
        let name = &self.name;
        catalog_pg::testing::execute(self.db.url(), &format!("DROP OWNED BY {name}; DROP ROLE {name}"));
    }
}

/// A server that is up but takes no connection for the store's role (as
/// when another client holds every slot: the same SQLSTATE, 53300) does
/// not stop the store from opening: it answers 503, and not ready, until
/// the server takes connections again, then serves without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_while_the_server_is_full_serves_once_it_takes_connections() {
    let db = common::imported(&common::fixture(10, 7)).await;
    let role = RefusedRole::create(
        &db,
        "GRANT USAGE ON SCHEMA catalog TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA catalog TO {role};",
    );
    let mut config = PgConfig::new(role.url());
    config.connect_timeout = Duration::from_secs(2);
    let store = PgStore::connect(&config).await.expect("opens while the server refuses");
    let id = ProductId::new(1).unwrap();
    for _ in 0..2 {
        let refused = store.styles(id).await;
        assert!(matches!(refused, Err(StoreError::Unavailable { .. })), "{refused:?}");
        assert!(store.ready().await.is_err(), "not ready while refused");
    }

    role.admit();
    store.ready().await.expect("ready once the server takes connections");
    assert_eq!(store.styles(id).await.expect("styles").product_id, id);
    drop(store);
}

/// A store opened while the server refused it, on a database that turns
/// out to have no catalog schema, answers 503 (not a query fault, a 500)
/// and is not ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_while_refused_on_a_database_without_a_schema_is_unavailable() {
    let db = TestDatabase::empty();
    let role = RefusedRole::create(&db, "");
    let store = PgStore::connect(&PgConfig::new(role.url()))
        .await
        .expect("opens while the server refuses");
    role.admit();
    let answer = store.styles(ProductId::new(1).unwrap()).await;
    assert!(matches!(answer, Err(StoreError::Unavailable { .. })), "{answer:?}");
    assert!(store.ready().await.is_err(), "not ready without a schema");
    drop(store);
}

/// A server with no catalog schema still fails the connect at once, and so
/// does one that is not there at all (the contract: a command exits when
/// the database is unreachable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_schema_or_no_server_fails_the_connect() {
    let db = TestDatabase::empty();
    let no_schema = PgStore::connect(&PgConfig::new(db.url())).await;
    assert!(
        matches!(no_schema, Err(catalog_pg::PgError::NotMigrated)),
        "{:?}",
        no_schema.err()
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let no_server = PgStore::connect(&PgConfig::new(format!("postgres://postgres@127.0.0.1:{port}/catalog"))).await;
    assert!(
        matches!(no_server, Err(catalog_pg::PgError::Connect { .. })),
        "{:?}",
        no_server.err()
    );
}
