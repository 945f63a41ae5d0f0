//! Starting the real service on a random port, small generated catalogs, and
//! a mocked store, as the tests need them. Each test binary uses part of this.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use catalog_core::{CatalogStore, Page, Product, ProductDetail, ProductId, ProductStyles, StoreError};
use catalog_http::app::{App, Settings};
use catalog_http::{ServiceConfig, serve, service};
use catalog_mem::MemStore;
use catalog_source::GenerateConfig;
use mockall::mock;
use tokio::sync::oneshot;

mock! {
    /// A store whose answers each test sets, to reach states that are hard
    /// to reach for real (a store error, an unavailable store).
    pub Store {}
    #[async_trait]
    impl CatalogStore for Store {
        async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError>;
        async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError>;
        async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError>;
        async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError>;
        async fn ready(&self) -> Result<(), StoreError>;
    }
}

/// A service running on 127.0.0.1 at a random port.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Send to stop the server gracefully.
    pub stop: Option<oneshot::Sender<()>>,
    /// Completes when the server has stopped (not every test waits for it).
    pub stopped: tokio::task::JoinHandle<()>,
}

/// Serves `store` with the default configuration on a fresh port.
pub async fn spawn(store: Arc<dyn CatalogStore>) -> Running {
    spawn_with(store, ServiceConfig::default()).await
}

/// Serves `store` with `config` on a fresh port.
pub async fn spawn_with(store: Arc<dyn CatalogStore>, config: ServiceConfig) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let base_url = format!("http://{}", listener.local_addr().expect("local address"));
    let (stop, stopping) = oneshot::channel::<()>();
    let filter = service(store, &config);
    let stopped = tokio::spawn(serve(listener, filter, async {
        let _ = stopping.await;
    }));
    Running {
        base_url,
        stop: Some(stop),
        stopped,
    }
}

/// The application built from `settings` (listen on port 0), running until dropped.
pub struct RunningApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Stops the app when dropped.
    _stop: oneshot::Sender<()>,
}

/// Builds the application from `settings` with [`App::build`], as the binary
/// does, and runs it until the returned handle is dropped.
pub async fn spawn_app(settings: Settings) -> RunningApp {
    let app = App::build(settings).await.expect("build the app");
    let base_url = format!("http://{}", app.address());
    let (stop, stopping) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopping.await;
    }));
    RunningApp { base_url, _stop: stop }
}

/// A clean generated catalog of `products` products (seeded) in a memory store.
pub fn generated_store(products: u32, seed: u64) -> Arc<dyn CatalogStore> {
    Arc::new(generated_mem_store(products, seed))
}

/// [`generated_store`] as its concrete type, for tests that also write.
pub fn generated_mem_store(products: u32, seed: u64) -> MemStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = GenerateConfig {
        products,
        seed,
        dirty_rate: 0.0,
    };
    catalog_source::generate(&config, dir.path()).expect("generate");
    let (store, _) = MemStore::load(dir.path(), &mut Vec::new()).expect("load");
    store
}

/// A fresh PostgreSQL database holding a clean generated catalog of
/// `products` from `seed`, copied from a template built once (named after
/// `purpose`); with `empty_log`, the import's `catalog.imported` entry is
/// removed, so the change log starts empty as the memory store's does.
pub async fn pg_database(
    purpose: &str,
    products: u32,
    seed: u64,
    empty_log: bool,
) -> catalog_pg::testing::TestDatabase {
    let template = format!("catalog_tmpl_{purpose}_{products}_{seed}");
    tokio::task::spawn_blocking(move || {
        catalog_pg::testing::TestDatabase::from_template(&template, |url| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let config = GenerateConfig {
                products,
                seed,
                dirty_rate: 0.0,
            };
            catalog_source::generate(&config, dir.path()).expect("generate the catalog");
            catalog_pg::import(url, dir.path(), &mut Vec::new()).expect("import the catalog");
            if empty_log {
                catalog_pg::testing::execute(url, "DELETE FROM catalog_meta.changes");
            }
        })
    })
    .await
    .expect("template database")
}
