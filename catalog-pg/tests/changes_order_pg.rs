//! The change log pages in commit order: a reader that follows `next` while
//! writers commit concurrently (on different products, so nothing else
//! serializes them) sees every entry; none commits later below a `next` it
//! was already given. Without the barrier of `write::log`, entries whose
//! writer drew its `seq` before a later one but committed after it (the
//! fsync of a synchronous commit is the window) are skipped for good.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use catalog_core::write::ChangeQuery;
use catalog_core::{CatalogWriter, SkuId};

const WRITERS: i32 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_following_next_misses_no_entry() {
    let (_db, store) = common::imported_store(40, 5, |config| {
        config.pool_size = 12;
        config.write_pool_size = 12;
    })
    .await;
    let store = Arc::new(store);
    // One SKU of a different product per writer.
    let mut skus = Vec::new();
    let mut products = BTreeSet::new();
    let mut id = 1;
    while skus.len() < WRITERS as usize {
        if let Ok(sku) = store.sku(SkuId::new(id).expect("an id")).await
            && products.insert(sku.product_id)
        {
            skus.push(id);
        }
        id += 1;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = skus
        .iter()
        .map(|&sku| {
            let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let request = common::adjustment(sku, 1, "order");
                    store.write(request).await.expect("a write");
                }
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut after = 0;
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut drained = false;
    loop {
        let page = store.changes(ChangeQuery { after, limit: 1000 }).await.expect("a page");
        seen.extend(page.changes.iter().map(|entry| entry.seq));
        after = page.next;
        if drained {
            break;
        }
        if Instant::now() > deadline {
            stop.store(true, Ordering::Relaxed);
            drained = true;
        }
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    loop {
        let page = store.changes(ChangeQuery { after, limit: 1000 }).await.expect("a page");
        if page.changes.is_empty() {
            break;
        }
        seen.extend(page.changes.iter().map(|entry| entry.seq));
        after = page.next;
    }
    let mut all = BTreeSet::new();
    let mut from = 0;
    loop {
        let page = store
            .changes(ChangeQuery {
                after: from,
                limit: 1000,
            })
            .await
            .expect("a page");
        if page.changes.is_empty() {
            break;
        }
        all.extend(page.changes.iter().map(|entry| entry.seq));
        from = page.next;
    }
    assert!(all.len() > 100, "enough writes to race: {}", all.len());
    let missed: Vec<_> = all.difference(&seen).collect();
    assert!(
        missed.is_empty(),
        "the reader missed {} of {} entries: {missed:?}",
        missed.len(),
        all.len()
    );
}
