//! Acknowledged writes survive a crash of PostgreSQL: 200 concurrent
//! adjustments from 16 tasks on a private cluster (which runs, as the
//! project's does, with `synchronous_commit = off`), then SIGKILL to every
//! server process at once and a restart with crash recovery: every
//! acknowledged adjustment is in the quantities, and the change log has
//! exactly one entry for each. Without the writes' `SET LOCAL
//! synchronous_commit = on`, the commits of the last few hundred
//! milliseconds before the kill are lost and this test fails.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use catalog_core::write::{Adjustment, ChangeQuery, Delta, Reason, WriteContext, WriteOp, WriteRequest};
use catalog_core::{CatalogWriter, SkuId};
use catalog_pg::testing::PrivateCluster;
use catalog_pg::{PgConfig, PgStore, import};

const TASKS: usize = 16;
const ADJUSTMENTS: usize = 200;
const SKUS: i32 = 8;

fn adjustment(sku: i32, request_id: String) -> WriteRequest {
    WriteRequest {
        op: WriteOp::AdjustSku(
            SkuId::new(sku).expect("an id"),
            Adjustment {
                delta: Delta(1),
                reason: Some(Reason("durability".into())),
            },
        ),
        context: WriteContext {
            token: "durability".into(),
            request_id,
            ..WriteContext::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_adjustments_survive_a_crash() {
    let cluster = PrivateCluster::new("durability");
    let url = cluster.up();
    let fixture = common::fixture(10, 3);
    let (import_url, path) = (url.clone(), fixture.path().to_owned());
    tokio::task::spawn_blocking(move || import(&import_url, &path, &mut Vec::new()).expect("import"))
        .await
        .expect("import task");
    let mut config = PgConfig::new(&url);
    config.pool_size = TASKS;
    let store = Arc::new(PgStore::connect(&config).await.expect("connect"));
    let mut start = HashMap::new();
    for sku in 1..=SKUS {
        let detail = store.sku(SkuId::new(sku).expect("an id")).await.expect("a SKU");
        start.insert(sku, detail.quantity);
    }

    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in (task..ADJUSTMENTS).step_by(TASKS) {
                    let sku = 1 + (n as i32 % SKUS);
                    let request_id = format!("adjustment-{n}");
                    if let Ok(written) = store.write(adjustment(sku, request_id.clone())).await {
                        assert_eq!(written.answer.status, 200, "{}", written.answer.body);
                        acknowledged.push((sku, request_id));
                    }
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("a task"));
    }
    // At once: the last acknowledgements are a few milliseconds old.
    cluster.kill();
    assert_eq!(acknowledged.len(), ADJUSTMENTS, "every adjustment was acknowledged");
    drop(store);
    cluster.up();

    let store = PgStore::connect(&PgConfig::new(&url))
        .await
        .expect("connect after the crash");
    for sku in 1..=SKUS {
        let expected = start[&sku] + acknowledged.iter().filter(|(s, _)| *s == sku).count() as i32;
        let now = store
            .sku(SkuId::new(sku).expect("an id"))
            .await
            .expect("a SKU")
            .quantity;
        assert_eq!(now, expected, "SKU {sku}: every acknowledged adjustment is there");
    }
    let mut logged: HashMap<String, usize> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store
            .changes(ChangeQuery { after, limit: 1000 })
            .await
            .expect("the change log");
        if page.changes.is_empty() {
            break;
        }
        after = page.next;
        for entry in page.changes.into_iter().filter(|entry| entry.token == "durability") {
            *logged.entry(entry.request_id).or_default() += 1;
        }
    }
    assert_eq!(
        logged.len(),
        acknowledged.len(),
        "one entry per acknowledged adjustment"
    );
    for (_, request_id) in &acknowledged {
        assert_eq!(logged.get(request_id), Some(&1), "{request_id}");
    }
}
