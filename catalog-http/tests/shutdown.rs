//! Graceful shutdown: a request in flight when the signal comes still gets its answer.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use catalog_core::{CatalogStore, Page, Product, ProductDetail, ProductId, ProductStyles, StoreError};

/// A store whose styles query takes a while, to keep a request in flight.
struct SlowStore;

#[async_trait]
impl CatalogStore for SlowStore {
    async fn products(&self, _: Page) -> Result<Vec<Product>, StoreError> {
        Ok(Vec::new())
    }
    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        Err(StoreError::ProductNotFound(id.get()))
    }
    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(ProductStyles {
            product_id: id,
            results: Vec::new(),
        })
    }
    async fn related(&self, _: ProductId) -> Result<Vec<i32>, StoreError> {
        Ok(Vec::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_before_the_server_stops() {
    let mut running = common::spawn(Arc::new(SlowStore)).await;
    let url = format!("{}/products/5/styles", running.base_url);
    let in_flight = tokio::spawn(async move { reqwest::get(url).await?.text().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    running
        .stop
        .take()
        .expect("stop sender")
        .send(())
        .expect("server listening");

    let body = in_flight
        .await
        .expect("join")
        .expect("the in-flight request is answered");
    assert_eq!(body, r#"{"product_id":"5","results":[]}"#);
    tokio::time::timeout(Duration::from_secs(5), running.stopped)
        .await
        .expect("the server stops once idle")
        .expect("server task");
    let after = reqwest::get(format!("{}/healthz", running.base_url)).await;
    assert!(after.is_err(), "no new connections after shutdown");
}
