//! The contract suite against the memory store, loaded from a generated
//! catalog with dirty rows, through real HTTP: each test starts the
//! application with [`App::build`], exactly as the binary does.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use catalog_contract::{App as Checked, Fixture};
use catalog_http::CacheConfig;
use catalog_http::app::{Settings, StoreSettings};

/// The fixture, generated once for all tests.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::standard)
}

/// The settings of a memory store loaded from the fixture, on a random port.
fn settings(cache: Option<CacheConfig>) -> Settings {
    let fixture = fixture();
    Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store: StoreSettings::Directory {
            data: fixture.path().to_owned(),
            rejects: fixture.path().join("rejects.csv"),
        },
        cache,
        generation_check: Some(Duration::from_millis(100)),
        ..Settings::default()
    }
}

async fn mem_app() -> Checked {
    let running = common::spawn_app(settings(None)).await;
    Checked::new(running.base_url.clone(), fixture().oracle.clone(), Box::new(running))
}

catalog_contract::contract_tests!(mem_app);

/// The same suite with the response cache in front of the store.
mod cached {
    use super::*;

    async fn mem_app_cached() -> Checked {
        let running = common::spawn_app(settings(Some(CacheConfig::default()))).await;
        Checked::new(running.base_url.clone(), fixture().oracle.clone(), Box::new(running))
    }

    catalog_contract::contract_tests!(mem_app_cached);
}

#[tokio::test]
async fn loading_the_fixture_rejects_exactly_its_dirty_lines() {
    let fixture = fixture();
    let mut rejects: Vec<catalog_source::RejectRecord> = Vec::new();
    let (_, report) = catalog_mem::MemStore::load(fixture.path(), &mut rejects).expect("load the fixture");
    assert!(report.reconciles());
    assert_eq!(rejects.len(), fixture.summary.dirty.len());
}
