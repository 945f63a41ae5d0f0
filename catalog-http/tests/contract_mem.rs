//! The contract suite against the memory store, loaded from a generated
//! catalog with dirty rows, through real HTTP.

mod common;

use std::sync::{Arc, OnceLock};

use catalog_contract::{App, Fixture};
use catalog_core::CatalogStore;
use catalog_mem::MemStore;
use catalog_source::RejectRecord;

/// The fixture and the store loaded from it, built once for all tests.
fn loaded() -> &'static (Fixture, Arc<MemStore>) {
    static LOADED: OnceLock<(Fixture, Arc<MemStore>)> = OnceLock::new();
    LOADED.get_or_init(|| {
        let fixture = Fixture::standard();
        let mut rejects: Vec<RejectRecord> = Vec::new();
        let (store, report) = MemStore::load(fixture.path(), &mut rejects).expect("load the fixture");
        assert!(report.reconciles());
        assert_eq!(rejects.len(), fixture.summary.dirty.len());
        (fixture, Arc::new(store))
    })
}

async fn mem_app() -> App {
    let (fixture, store) = loaded();
    let store: Arc<dyn CatalogStore> = store.clone();
    let running = common::spawn(store).await;
    App::new(running.base_url.clone(), fixture.oracle.clone(), Box::new(running.stop))
}

catalog_contract::contract_tests!(mem_app);

/// The same suite with the response cache in front of the store.
mod cached {
    use super::*;
    use catalog_http::{CacheConfig, ResponseCache, ServiceConfig};

    async fn mem_app_cached() -> App {
        let (fixture, store) = loaded();
        let store: Arc<dyn CatalogStore> = store.clone();
        let cache = Some(ResponseCache::new(CacheConfig::default()));
        let running = common::spawn_with(
            store,
            ServiceConfig {
                cache,
                ..ServiceConfig::default()
            },
        )
        .await;
        App::new(running.base_url.clone(), fixture.oracle.clone(), Box::new(running.stop))
    }

    catalog_contract::contract_tests!(mem_app_cached);
}
