//! Writes and imports: a write while an import holds the write gate is
//! refused at once as `ImportRunning` (the HTTP layer's 503 with
//! `Retry-After`) and changes nothing; an import appends `catalog.imported`
//! to the change log, which survives it, and new ids keep rising above every
//! id handed out before it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use catalog_contract::Fixture;
use catalog_core::write::{
    Adjustment, ChangeKind, ChangeQuery, Delta, NewProduct, NonEmpty, PriceText, WriteError, WriteOp, WriteRequest,
};
use catalog_core::{CatalogWriter, Price, SkuId, StoreError, UnavailableKind};
use catalog_pg::testing::TestDatabase;
use catalog_pg::{PgConfig, PgStore, WRITE_GATE_KEY, import};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

fn request(op: WriteOp) -> WriteRequest {
    common::write_request(op, "test")
}

fn restock(sku: i32) -> WriteRequest {
    request(WriteOp::AdjustSku(
        SkuId::new(sku).expect("an id"),
        Adjustment {
            delta: Delta(1),
            reason: None,
        },
    ))
}

fn new_product() -> WriteRequest {
    request(WriteOp::CreateProduct(NewProduct {
        name: NonEmpty("New".into()),
        slogan: String::new(),
        description: String::new(),
        category: String::new(),
        default_price: PriceText(Price::from_cents(100).expect("a price")),
        features: Vec::new(),
    }))
}

fn is_import_running(result: &Result<catalog_core::write::Written, WriteError>) -> bool {
    matches!(
        result,
        Err(WriteError::Store(StoreError::Unavailable {
            kind: UnavailableKind::ImportRunning,
            ..
        }))
    )
}

async fn imported(fixture: &Fixture) -> (TestDatabase, PgStore) {
    let db = common::imported(fixture).await;
    let store = PgStore::connect(&PgConfig::new(db.url())).await.expect("connect");
    (db, store)
}

fn fixture(products: u32) -> Fixture {
    common::fixture(products, 7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_while_the_gate_is_held_is_refused_and_changes_nothing() {
    let fixture = fixture(10);
    let (db, store) = imported(&fixture).await;
    let before = store.sku(SkuId::new(1).unwrap()).await.expect("a SKU").quantity;
    let mut importer = PgConnection::establish(db.url()).expect("connect");
    importer
        .batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_GATE_KEY})"))
        .expect("hold the gate as an import does");
    let started = std::time::Instant::now();
    let refused = store.write(restock(1)).await;
    assert!(is_import_running(&refused), "{refused:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "refused at once, not after a wait"
    );
    assert_eq!(
        store.sku(SkuId::new(1).unwrap()).await.unwrap().quantity,
        before,
        "nothing changed"
    );
    importer.batch_execute("COMMIT").expect("release the gate");
    let done = store.write(restock(1)).await.expect("a write once the import is over");
    assert_eq!(done.answer.status, 200);
    assert_eq!(store.sku(SkuId::new(1).unwrap()).await.unwrap().quantity, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_during_a_real_import_are_refused_then_taken_again() {
    let small = fixture(10);
    let large = fixture(3000);
    let (db, store) = imported(&small).await;
    let done = Arc::new(AtomicBool::new(false));
    let (url, path, finished) = (db.url().to_owned(), large.path().to_owned(), Arc::clone(&done));
    let import = tokio::task::spawn_blocking(move || {
        let result = import(&url, &path, &mut Vec::new());
        finished.store(true, Ordering::SeqCst);
        result
    });
    let (mut refused, mut other) = (0, Vec::new());
    while !done.load(Ordering::SeqCst) {
        match store.write(restock(1)).await {
            result if is_import_running(&result) => refused += 1,
            Ok(written) => assert_eq!(written.answer.status, 200),
            Err(err) => other.push(err.to_string()),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    import.await.expect("import task").expect("the import");
    assert!(refused > 0, "some write met the running import");
    assert!(other.is_empty(), "no other failure: {other:?}");
    let after = store.write(restock(1)).await.expect("a write after the import");
    assert_eq!(after.answer.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_logged_and_new_ids_keep_rising() {
    let fixture = fixture(10);
    let (db, store) = imported(&fixture).await;
    let first = store.write(new_product()).await.expect("a product");
    let first_id: i64 = serde_json::from_str::<serde_json::Value>(&first.answer.body).unwrap()["id"]
        .as_i64()
        .expect("an id");
    assert!(first_id > 10, "above the imported ids: {first_id}");
    let (url, path) = (db.url().to_owned(), fixture.path().to_owned());
    tokio::task::spawn_blocking(move || import(&url, &path, &mut Vec::new()).expect("re-import"))
        .await
        .expect("import task");
    let log = store
        .changes(ChangeQuery { after: 0, limit: 1000 })
        .await
        .expect("the log");
    let kinds: Vec<ChangeKind> = log.changes.iter().map(|entry| entry.kind).collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::CatalogImported,
            ChangeKind::ProductCreated,
            ChangeKind::CatalogImported
        ],
        "the log survives the import, which appends its entry"
    );
    let imported = log.changes.last().expect("an entry");
    assert_eq!(
        (imported.product_id, imported.style_id, imported.sku_id),
        (None, None, None)
    );
    let second = store.write(new_product()).await.expect("a product after the import");
    let second_id: i64 = serde_json::from_str::<serde_json::Value>(&second.answer.body).unwrap()["id"]
        .as_i64()
        .expect("an id");
    assert!(
        second_id > first_id,
        "{second_id} > {first_id}: ids are never reused across imports"
    );
}
