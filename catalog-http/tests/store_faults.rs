//! The HTTP layer's answers when the store fails, driven with a mocked store.

mod common;

use std::sync::Arc;

use catalog_core::{InternalKind, StoreError, UnavailableKind};
use catalog_http::{ServiceConfig, service};
use common::MockStore;
use serde_json::Value;

async fn get(store: MockStore, path: &str) -> (u16, Value) {
    let filter = service(Arc::new(store), &ServiceConfig::default());
    let response = warp::test::request().path(path).reply(&filter).await;
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn an_unavailable_store_is_a_503_with_a_json_error() {
    let mut store = MockStore::new();
    store.expect_styles().returning(|_| {
        Err(StoreError::unavailable(
            UnavailableKind::Unreachable,
            "connection refused",
        ))
    });
    let (status, body) = get(store, "/products/7/styles").await;
    assert_eq!(status, 503);
    assert_eq!(body["error"], "the catalog is temporarily unavailable; retry shortly");
}

#[tokio::test]
async fn an_internal_fault_is_a_500_that_leaks_no_detail() {
    let mut store = MockStore::new();
    store.expect_products().returning(|_| {
        Err(StoreError::internal(
            InternalKind::Query,
            "relation \"secret\" does not exist",
        ))
    });
    let (status, body) = get(store, "/products").await;
    assert_eq!(status, 500);
    assert_eq!(body["error"], "internal server error");
}

#[tokio::test]
async fn not_found_from_the_store_is_a_404_naming_the_product() {
    let mut store = MockStore::new();
    store
        .expect_related()
        .returning(|id| Err(StoreError::ProductNotFound(id.get())));
    let (status, body) = get(store, "/products/42/related").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "product 42 not found");
}

#[tokio::test]
async fn the_store_receives_the_parsed_request() {
    let mut store = MockStore::new();
    store
        .expect_products()
        .withf(|page| page.page() == 3 && page.count() == 20)
        .times(1)
        .returning(|_| Ok(Vec::new()));
    store
        .expect_product()
        .withf(|id| id.get() == 12)
        .times(1)
        .returning(|id| Err(StoreError::ProductNotFound(id.get())));
    let filter = service(Arc::new(store), &ServiceConfig::default());
    let list = warp::test::request()
        .path("/products?count=20&page=3")
        .reply(&filter)
        .await;
    assert_eq!((list.status().as_u16(), list.body().as_ref()), (200, b"[]".as_ref()));
    let one = warp::test::request().path("/products/0012").reply(&filter).await;
    assert_eq!(one.status().as_u16(), 404);
}

#[tokio::test]
async fn bad_input_never_reaches_the_store() {
    // A mock with no expectations panics if any method is called.
    for path in [
        "/products/0",
        "/products/x/styles",
        "/products?count=5000",
        "/products/1.5/related",
    ] {
        let (status, body) = get(MockStore::new(), path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "{path}");
    }
}

#[tokio::test]
async fn cors_origins_can_be_restricted() {
    let config = ServiceConfig {
        cors_origins: vec!["https://shop.example".into()],
        ..ServiceConfig::default()
    };
    let mut store = MockStore::new();
    store.expect_related().returning(|_| Ok(vec![2, 3]));
    let filter = service(Arc::new(store), &config);
    let allowed = warp::test::request()
        .path("/products/1/related")
        .header("origin", "https://shop.example")
        .reply(&filter)
        .await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    // The answer depends on the caller's origin: a shared cache must keep one per origin.
    assert_eq!(allowed.headers()["vary"], "accept-encoding, origin");
    let no_origin = warp::test::request().path("/products/1/related").reply(&filter).await;
    assert_eq!(no_origin.status(), 200);
    assert!(!no_origin.headers().contains_key("access-control-allow-origin"));
    assert_eq!(no_origin.headers()["vary"], "accept-encoding, origin");
    let refused = warp::test::request()
        .path("/products/1/related")
        .header("origin", "https://evil.example")
        .reply(&filter)
        .await;
    assert_eq!(refused.status(), 403);
    let body: Value = serde_json::from_slice(refused.body()).expect("JSON");
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn readyz_asks_the_store_and_healthz_never_does() {
    let mut down = MockStore::new();
    down.expect_ready().times(1).returning(|| {
        Err(StoreError::unavailable(
            UnavailableKind::Unreachable,
            "connection refused",
        ))
    });
    let filter = service(Arc::new(down), &ServiceConfig::default());
    let not_ready = warp::test::request().path("/readyz").reply(&filter).await;
    assert_eq!(not_ready.status(), 503);
    assert_eq!(not_ready.headers()["cache-control"], "no-store");
    let body: Value = serde_json::from_slice(not_ready.body()).expect("JSON");
    assert_eq!(body["error"], "the catalog is temporarily unavailable; retry shortly");
    // A mock with no expectations panics if healthz touches the store.
    let healthy = warp::test::request()
        .path("/healthz")
        .reply(&service(Arc::new(MockStore::new()), &ServiceConfig::default()))
        .await;
    assert_eq!(
        (healthy.status().as_u16(), healthy.body().as_ref()),
        (200, br#"{"status":"ok"}"#.as_ref())
    );
    assert_eq!(healthy.headers()["cache-control"], "no-store");

    let mut up = MockStore::new();
    up.expect_ready().times(1).returning(|| Ok(()));
    let (status, body) = get(up, "/readyz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    // Any failure of the store, not only an unreachable one, is "not ready".
    let mut failing = MockStore::new();
    failing
        .expect_ready()
        .returning(|| Err(StoreError::internal(InternalKind::Query, "a broken catalog")));
    let (status, body) = get(failing, "/readyz").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("the catalog is temporarily unavailable; retry shortly"))
    );
    let (status, _) = get(MockStore::new(), "/readyz/extra").await;
    assert_eq!(status, 404);
}
