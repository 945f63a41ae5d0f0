//! The contract suite against the PostgreSQL store through real HTTP. Each
//! test gets its own database, copied from a template holding the imported
//! standard fixture (built once per test run).

mod common;

use std::sync::{Arc, OnceLock};

use catalog_contract::{App, Fixture, PRODUCTS, SEED};
use catalog_core::CatalogStore;
use catalog_pg::testing::TestDatabase;
use catalog_pg::{PgConfig, PgStore};

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::standard)
}

async fn pg_app() -> App {
    let template = format!("catalog_tmpl_contract_{PRODUCTS}_{SEED}");
    let db = tokio::task::spawn_blocking(move || {
        TestDatabase::from_template(&template, |url| {
            catalog_pg::import(url, fixture().path(), &mut Vec::new()).expect("import the fixture");
        })
    })
    .await
    .expect("template database");
    let store: Arc<dyn CatalogStore> = Arc::new(PgStore::connect(&PgConfig::new(db.url())).await.expect("connect"));
    let running = common::spawn(store).await;
    // The database outlives the server: both are dropped with the guard, server first.
    App::new(
        running.base_url.clone(),
        fixture().oracle.clone(),
        Box::new((running.stop, db)),
    )
}

catalog_contract::contract_tests!(pg_app);
