//! The store's own runtime (`catalog_http::store_runtime`): every query of a
//! store behind it runs on a `catalog-store` thread, a panic there reaches
//! the caller, and a runtime gone answers 503 rather than hang.

mod common;

use std::sync::{Arc, Mutex};

use catalog_core::{CatalogStore, Page, ProductId, StoreError};
use catalog_http::store_runtime::{OnStoreRuntime, StoreRuntime};
use common::MockStore;

/// The name of the thread the current code runs on.
fn thread_name() -> String {
    std::thread::current().name().unwrap_or("unnamed").to_owned()
}

#[tokio::test]
async fn every_query_runs_on_the_store_runtime() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut store = MockStore::new();
    let on_related = Arc::clone(&seen);
    store.expect_related().returning(move |_| {
        on_related.lock().expect("lock").push(thread_name());
        Ok(vec![2])
    });
    let on_products = Arc::clone(&seen);
    store.expect_products().returning(move |_| {
        on_products.lock().expect("lock").push(thread_name());
        Ok(Vec::new())
    });
    let on_ready = Arc::clone(&seen);
    store.expect_ready().returning(move || {
        on_ready.lock().expect("lock").push(thread_name());
        Ok(())
    });
    let runtime = StoreRuntime::new(1).expect("a runtime");
    let behind = OnStoreRuntime::new(Arc::new(store), runtime.handle());

    assert_eq!(
        behind
            .related(ProductId::new(1).expect("an id"))
            .await
            .expect("related"),
        vec![2]
    );
    assert!(behind.products(Page::default()).await.expect("products").is_empty());
    behind.ready().await.expect("ready");

    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen, vec!["catalog-store"; 3], "the caller runs on {}", thread_name());
}

#[tokio::test]
async fn a_panic_in_the_store_reaches_the_caller() {
    let mut store = MockStore::new();
    store.expect_ready().returning(|| panic!("the store broke"));
    let runtime = StoreRuntime::new(1).expect("a runtime");
    let behind = Arc::new(OnStoreRuntime::new(Arc::new(store), runtime.handle()));

    let caller = tokio::spawn(async move { behind.ready().await });
    let failed = caller.await.expect_err("the caller panics too");
    assert!(failed.is_panic());
}

#[tokio::test]
async fn a_runtime_shut_down_answers_unavailable() {
    let mut store = MockStore::new();
    store.expect_ready().returning(|| Ok(()));
    let runtime = StoreRuntime::new(1).expect("a runtime");
    let behind = OnStoreRuntime::new(Arc::new(store), runtime.handle());
    drop(runtime);

    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), behind.ready())
        .await
        .expect("an answer, not a hang");
    assert!(matches!(answer, Err(StoreError::Unavailable { .. })), "{answer:?}");
}
