//! Reads through a real streaming replica: a private primary and a hot
//! standby made by `scripts/pg replica up` (pg_basebackup), so servers can be
//! paused and stopped without disturbing the shared cluster.

mod common;

use std::time::{Duration, Instant};

use catalog_core::{CatalogStore, Page, ProductId};
use catalog_pg::testing::PrivateCluster;
use catalog_pg::{PgConfig, PgStore};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"))
}

/// Waits until the replica has replayed everything the primary wrote so far
/// (the insert position: commits are asynchronous, `synchronous_commit = off`).
fn wait_for_replay(primary_url: &str, replica_url: &str) {
    let lsn = diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn")
        .get_result::<Lsn>(&mut connect(primary_url))
        .expect("primary WAL position")
        .lsn;
    let mut replica = connect(replica_url);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let replayed = diesel::sql_query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS flag")
            .bind::<Text, _>(&lsn)
            .get_result::<Flag>(&mut replica)
            .expect("replica replay position")
            .flag;
        if replayed {
            return;
        }
        assert!(Instant::now() < deadline, "the replica did not replay up to {lsn}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `cluster`'s replica and primary, imports a small generated
/// catalog (20 products, seed 4) into the primary and waits until the
/// replica has replayed it; returns the primary's and the replica's URLs.
async fn replicated_catalog(cluster: &PrivateCluster) -> (String, String) {
    let replica_url = cluster.replica_up();
    let primary_url = cluster.up();
    let fixture = common::fixture(20, 4);
    let (url, source) = (primary_url.clone(), fixture.path().to_owned());
    tokio::task::spawn_blocking(move || catalog_pg::import(&url, &source, &mut Vec::new()))
        .await
        .unwrap()
        .expect("import into the primary");
    wait_for_replay(&primary_url, &replica_url);
    (primary_url, replica_url)
}

/// Connections per pool of the replicated store: few, so that reads queue
/// for them.
const POOL_SIZE: usize = 2;

async fn product_name(store: &PgStore, id: i32) -> String {
    let id = ProductId::new(id).unwrap();
    store.product(id).await.expect("the product").name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_replica_and_fall_back_to_the_primary_when_it_is_down() {
    let cluster = PrivateCluster::new("replica");
    let replica_url = cluster.replica_up();
    let primary_url = cluster.up();
    let mut replica_admin = connect(&replica_url.replace("/catalog", "/postgres"));
    let in_recovery = diesel::sql_query("SELECT pg_is_in_recovery() AS flag")
        .get_result::<Flag>(&mut replica_admin)
        .unwrap()
        .flag;
    assert!(in_recovery, "the replica is a standby");

    let fixture = common::fixture(120, 12);
    let source = fixture.path().to_owned();
    let url = primary_url.clone();
    tokio::task::spawn_blocking(move || catalog_pg::import(&url, &source, &mut Vec::new()))
        .await
        .unwrap()
        .expect("import into the primary");
    wait_for_replay(&primary_url, &replica_url);

    let primary_only = PgStore::connect(&PgConfig::new(&primary_url)).await.expect("connect");
    let mut config = PgConfig::new(&primary_url);
    config.replica_urls = vec![replica_url.clone()];
    config.replica_backoff = Duration::from_millis(200);
    config.connect_timeout = Duration::from_millis(500);
    config.statement_timeout = Duration::from_millis(1_000);
    config.pool_size = POOL_SIZE;
    let replicated = PgStore::connect(&config).await.expect("connect with a replica");

    // The same answers through the replica as from the primary.
    let page = Page::new(1, 200).unwrap();
    assert_eq!(
        replicated.products(page).await.unwrap(),
        primary_only.products(page).await.unwrap()
    );
    for id in fixture.oracle.product_ids().into_iter().step_by(7) {
        let id = ProductId::new(id).unwrap();
        assert_eq!(
            replicated.styles(id).await.unwrap(),
            primary_only.styles(id).await.unwrap()
        );
        assert_eq!(
            replicated.related(id).await.unwrap(),
            primary_only.related(id).await.unwrap()
        );
    }

    // The generation is the oldest where reads go: with replay paused, a
    // re-import on the primary is reported once the replica has replayed it.
    let imported = replicated.generation().await.unwrap().expect("a generation");
    assert_eq!(primary_only.generation().await.unwrap(), Some(imported));
    replica_admin.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    let (url, source) = (primary_url.clone(), fixture.path().to_owned());
    let reimported = tokio::task::spawn_blocking(move || catalog_pg::import(&url, &source, &mut Vec::new()))
        .await
        .unwrap()
        .expect("re-import into the primary")
        .generation;
    assert!(reimported > imported, "{reimported} after {imported}");
    assert_eq!(primary_only.generation().await.unwrap(), Some(reimported));
    assert_eq!(
        replicated.generation().await.unwrap(),
        Some(imported),
        "the replica still serves the previous catalog"
    );
    replica_admin.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
    wait_for_replay(&primary_url, &replica_url);
    assert_eq!(replicated.generation().await.unwrap(), Some(reimported));

    // With replay paused, a change on the primary is not seen by reads: they
    // come from the replica.
    let original = product_name(&primary_only, 1).await;
    replica_admin.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    connect(&primary_url)
        .batch_execute("UPDATE catalog.products SET name = 'Renamed on the primary' WHERE id = 1")
        .unwrap();
    assert_eq!(product_name(&primary_only, 1).await, "Renamed on the primary");
    for _ in 0..5 {
        assert_eq!(product_name(&replicated, 1).await, original);
    }
    replica_admin.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
    wait_for_replay(&primary_url, &replica_url);
    assert_eq!(product_name(&replicated, 1).await, "Renamed on the primary");

    // Replica down: every read still succeeds, from the primary.
    drop(replica_admin);
    cluster.replica_down();
    for _ in 0..10 {
        assert_eq!(product_name(&replicated, 1).await, "Renamed on the primary");
        replicated.ready().await.expect("ready through the primary");
    }
    let pools: Vec<String> = replicated.pool_status().into_iter().map(|pool| pool.name).collect();
    assert_eq!(pools, ["primary", "replica-1", "primary-writes"]);

    // Replica back: after the backoff, reads go to it again (seen by pausing
    // its replay once more).
    cluster.replica_up();
    let mut replica_admin = connect(&replica_url.replace("/catalog", "/postgres"));
    wait_for_replay(&primary_url, &replica_url);
    replica_admin.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    connect(&primary_url)
        .batch_execute("UPDATE catalog.products SET name = 'Renamed again' WHERE id = 1")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while product_name(&replicated, 1).await != "Renamed on the primary" {
        assert!(Instant::now() < deadline, "reads never went back to the replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Replica frozen (its host stops answering without refusing): a read on
    // a pooled connection gives up after the statement plus connect timeouts,
    // a new connection after the connect timeout, and every read is answered
    // by the primary while the replica is left out.
    cluster.replica_freeze();
    // More reads at once than the replica's pool has connections: those
    // waiting for a connection the frozen replica holds go to the primary too.
    let concurrent: Vec<_> = (0..3 * POOL_SIZE)
        .map(|_| {
            let store = replicated.clone();
            tokio::spawn(async move { store.product(ProductId::new(1).unwrap()).await })
        })
        .collect();
    for read in concurrent {
        let read = tokio::time::timeout(Duration::from_secs(30), read).await;
        let answer = read.expect("a read never hangs").unwrap();
        assert_eq!(answer.expect("no read fails").name, "Renamed again");
    }
    for _ in 0..10 {
        let read = tokio::time::timeout(Duration::from_secs(30), product_name(&replicated, 1));
        assert_eq!(read.await.expect("a read never hangs"), "Renamed again");
    }
    assert!(!replicated.pool_status()[1].up, "the frozen replica is left out");

    // Thawed: a later read tries it again and finds it, and reads go to it
    // once more (its replay is still paused, so it answers the older name).
    cluster.replica_thaw();
    let deadline = Instant::now() + Duration::from_secs(30);
    while product_name(&replicated, 1).await != "Renamed on the primary" {
        assert!(Instant::now() < deadline, "reads never went back to the thawed replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    replica_admin.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
}

/// Read your writes: with the replica's replay paused, the reads that follow
/// a write on the same instance show it (they go to the primary until the
/// replica has replayed past the write); once replay resumes they go back
/// to the replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_after_a_write_show_it_while_the_replica_lags() {
    use catalog_core::CatalogWriter;
    use catalog_core::write::{Adjustment, Delta, ProductPatch, WriteContext, WriteOp, WriteRequest};

    let cluster = PrivateCluster::new("ryw");
    let (primary_url, replica_url) = replicated_catalog(&cluster).await;
    let mut config = PgConfig::new(&primary_url);
    config.replica_urls = vec![replica_url.clone()];
    let store = PgStore::connect(&config).await.expect("connect with a replica");
    let mut replica_admin = connect(&replica_url.replace("/catalog", "/postgres"));
    replica_admin.batch_execute("SELECT pg_wal_replay_pause()").unwrap();

    let request = |op| WriteRequest {
        op,
        context: WriteContext {
            token: "t".into(),
            request_id: "r".into(),
            ..WriteContext::default()
        },
    };
    let id = ProductId::new(1).unwrap();
    let patch = ProductPatch {
        name: Some(catalog_core::write::NonEmpty("Written".into())),
        ..ProductPatch::default()
    };
    let written = store
        .write(request(WriteOp::UpdateProduct(id, patch)))
        .await
        .expect("a write");
    assert_eq!(written.answer.status, 200, "{}", written.answer.body);
    for _ in 0..5 {
        assert_eq!(product_name(&store, 1).await, "Written", "the instance reads its write");
    }
    let styles = store.styles(id).await.unwrap();
    let sku = styles.results[0].skus.0[0].clone();
    let adjusted = store
        .write(request(WriteOp::AdjustSku(
            catalog_core::SkuId::new(sku.id).unwrap(),
            Adjustment {
                delta: Delta(3),
                reason: None,
            },
        )))
        .await
        .expect("an adjustment");
    assert_eq!(adjusted.answer.status, 200);
    let now = store.styles(id).await.unwrap();
    assert_eq!(
        now.results[0].skus.0[0].quantity,
        sku.quantity + 3,
        "the styles answer shows it"
    );
    let on_replica = PgStore::connect(&PgConfig::new(&replica_url))
        .await
        .expect("the replica alone");
    assert_ne!(
        product_name(&on_replica, 1).await,
        "Written",
        "the replica has not replayed it"
    );

    replica_admin.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
    wait_for_replay(&primary_url, &replica_url);
    assert_eq!(product_name(&on_replica, 1).await, "Written");
    assert_eq!(product_name(&store, 1).await, "Written");
}

/// Another instance's writes: a store that reads them from the change log
/// reads the catalog from the primary until its replica has replayed them,
/// so a follower that dropped what they touched never refills its cache
/// from a replica that has not replayed them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_read_from_the_log_fence_reads_like_a_write() {
    use catalog_core::CatalogWriter;
    use catalog_core::write::{ChangeQuery, ProductPatch, WriteContext, WriteOp, WriteRequest};

    let cluster = PrivateCluster::new("follow");
    let (primary_url, replica_url) = replicated_catalog(&cluster).await;
    let writer = PgStore::connect(&PgConfig::new(&primary_url))
        .await
        .expect("the other instance's store");
    let mut config = PgConfig::new(&primary_url);
    config.replica_urls = vec![replica_url.clone()];
    let follower = PgStore::connect(&config).await.expect("connect with a replica");
    let after = follower.last_seq().await.expect("the log's end");
    let mut replica_admin = connect(&replica_url.replace("/catalog", "/postgres"));
    replica_admin.batch_execute("SELECT pg_wal_replay_pause()").unwrap();

    let patch = ProductPatch {
        name: Some(catalog_core::write::NonEmpty("Written elsewhere".into())),
        ..ProductPatch::default()
    };
    let written = writer
        .write(WriteRequest {
            op: WriteOp::UpdateProduct(ProductId::new(1).unwrap(), patch),
            context: WriteContext {
                token: "t".into(),
                request_id: "r".into(),
                ..WriteContext::default()
            },
        })
        .await
        .expect("a write through the other instance");
    assert_eq!(written.answer.status, 200, "{}", written.answer.body);
    assert_ne!(
        product_name(&follower, 1).await,
        "Written elsewhere",
        "before reading the log, reads go to the lagging replica"
    );
    let page = follower
        .changes(ChangeQuery { after, limit: 100 })
        .await
        .expect("the log");
    assert_eq!(page.changes.len(), 1);
    for _ in 0..5 {
        assert_eq!(
            product_name(&follower, 1).await,
            "Written elsewhere",
            "after reading the entry, reads go to the primary"
        );
    }
    replica_admin.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
}
