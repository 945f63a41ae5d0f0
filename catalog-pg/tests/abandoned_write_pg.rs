//! A write whose caller stops waiting (a client that hung up mid-request)
//! still runs to its end: its transaction commits, and its connection never
//! goes back to the pool inside an open transaction, where it would keep the
//! SKU's row lock (and the change log's barrier) until it was next checked
//! out.

mod common;

use std::time::{Duration, Instant};

use catalog_core::write::WriteRequest;
use catalog_core::{CatalogWriter, SkuId};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

fn adjust(sku: i32, delta: i32) -> WriteRequest {
    common::adjustment(sku, delta, "abandoned")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Sessions of this database left idle inside a transaction.
fn idle_in_transaction(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS count FROM pg_stat_activity \
         WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()",
    )
    .get_result::<Count>(conn)
    .expect("pg_stat_activity")
    .count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_write_commits_and_leaves_no_open_transaction() {
    // Two write connections: a leftover open transaction could hold one.
    let (db, store) = common::imported_store(10, 3, |config| config.write_pool_size = 2).await;
    let sku = SkuId::new(1).expect("an id");
    let before = store.sku(sku).await.expect("SKU 1").quantity;

    // Another session holds SKU 1's row, so the write blocks in its UPDATE,
    // inside its transaction, when its caller gives up on it.
    let mut blocker = PgConnection::establish(db.url()).expect("connect");
    diesel::sql_query("BEGIN").execute(&mut blocker).expect("begin");
    diesel::sql_query("SELECT 1 FROM catalog.skus WHERE id = 1 FOR UPDATE")
        .execute(&mut blocker)
        .expect("lock SKU 1");
    let abandoned = tokio::time::timeout(Duration::from_millis(500), store.write(adjust(1, 1))).await;
    assert!(abandoned.is_err(), "the write should still be waiting for the row lock");
    diesel::sql_query("COMMIT").execute(&mut blocker).expect("commit");

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = store.sku(sku).await.expect("SKU 1").quantity;
        let open = idle_in_transaction(&mut blocker);
        if now == before + 1 && open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned write never finished: quantity {now} (from {before}), {open} session(s) idle in transaction"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And the next write on the same SKU is not stuck behind a leftover lock.
    let next = tokio::time::timeout(Duration::from_secs(20), store.write(adjust(1, -1)))
        .await
        .expect("the next write finishes")
        .expect("a write");
    assert!(!next.replayed);
    assert_eq!(store.sku(sku).await.expect("SKU 1").quantity, before);
}
