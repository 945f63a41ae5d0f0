//! A write whose client hangs up after the store committed it, but before
//! its answer went out, still drops what it touched from the response
//! cache: otherwise the cache would keep serving the answer from before the
//! write until it expired.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use catalog_auth::{Scope, TokenRegistry};
use catalog_core::write::{ChangePage, ChangeQuery, WriteError, WriteRequest, Written};
use catalog_core::{CatalogStore, CatalogWriter, SkuDetail, SkuId, StoreError};
use catalog_http::{CacheConfig, ResponseCache, ServiceConfig, Writes};
use catalog_mem::MemStore;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

/// The memory store's writer, holding each write's answer (after the store
/// committed it) until the test lets it go.
struct HeldWriter {
    store: Arc<MemStore>,
    committed: Notify,
    release: Semaphore,
}

#[async_trait]
impl CatalogWriter for HeldWriter {
    async fn write(&self, request: WriteRequest) -> Result<Written, WriteError> {
        let written = self.store.write(request).await;
        self.committed.notify_one();
        self.release.acquire().await.expect("the semaphore stays open").forget();
        written
    }

    async fn sku(&self, id: SkuId) -> Result<SkuDetail, StoreError> {
        self.store.sku(id).await
    }

    async fn changes(&self, query: ChangeQuery) -> Result<ChangePage, StoreError> {
        self.store.changes(query).await
    }
}

/// The quantity of SKU `sku` in `GET /products/1/styles`.
async fn shown_quantity(client: &reqwest::Client, base_url: &str, sku: &str) -> i64 {
    let styles: Value = client
        .get(format!("{base_url}/products/1/styles"))
        .send()
        .await
        .expect("GET styles")
        .json()
        .await
        .expect("styles JSON");
    styles["results"]
        .as_array()
        .expect("results")
        .iter()
        .find_map(|style| style["skus"][sku]["quantity"].as_i64())
        .expect("the SKU is shown")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_client_hung_up_still_invalidates_the_cache() {
    let store = Arc::new(common::generated_mem_store(10, 7));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tokens_file = dir.path().join("tokens");
    let token = catalog_auth::create(&tokens_file, "held", &[Scope::InventoryWrite], None).expect("a token");
    let writer = Arc::new(HeldWriter {
        store: Arc::clone(&store),
        committed: Notify::new(),
        release: Semaphore::new(0),
    });
    let config = ServiceConfig {
        cache: Some(ResponseCache::new(CacheConfig::default())),
        writes: Some(Writes {
            writer: Arc::clone(&writer) as Arc<dyn CatalogWriter>,
            tokens: Arc::new(TokenRegistry::open(&tokens_file).expect("the tokens")),
        }),
        ..ServiceConfig::default()
    };
    let running = common::spawn_with(Arc::clone(&store) as Arc<dyn CatalogStore>, config).await;
    let client = reqwest::Client::new();

    // Cached before the write.
    let styles: Value = client
        .get(format!("{}/products/1/styles", running.base_url))
        .send()
        .await
        .expect("GET styles")
        .json()
        .await
        .expect("styles JSON");
    let sku = styles["results"][0]["skus"]
        .as_object()
        .and_then(|skus| skus.keys().next().cloned())
        .expect("product 1 has a SKU");
    let before = shown_quantity(&client, &running.base_url, &sku).await;

    // The client gives up once the store has committed, before the answer.
    let request = client
        .post(format!("{}/skus/{sku}/adjustments", running.base_url))
        .bearer_auth(token.secret.expose())
        .json(&serde_json::json!({"delta": 1}))
        .send();
    let hung_up = tokio::spawn(request);
    writer.committed.notified().await;
    hung_up.abort();
    let _ = hung_up.await;
    // Time for the server to see the connection closed and drop the request.
    tokio::time::sleep(Duration::from_millis(300)).await;
    writer.release.add_permits(1);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = shown_quantity(&client, &running.base_url, &sku).await;
        if shown == before + 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the styles answer still shows quantity {shown} (the store has {})",
            before + 1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
