//! The contract suite against the PostgreSQL store through real HTTP. Each
//! test gets its own database, copied from a template holding the imported
//! standard fixture (built once per test run), and starts the application
//! with [`App::build`], exactly as the binary does.

mod common;

use std::sync::OnceLock;

use catalog_contract::{App as Checked, Fixture, PRODUCTS, SEED};
use catalog_http::app::{Settings, StoreSettings};
use catalog_pg::PgConfig;
use catalog_pg::testing::TestDatabase;

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::standard)
}

async fn pg_app() -> Checked {
    let template = format!("catalog_tmpl_contract_{PRODUCTS}_{SEED}");
    let db = tokio::task::spawn_blocking(move || {
        TestDatabase::from_template(&template, |url| {
            catalog_pg::import(url, fixture().path(), &mut Vec::new()).expect("import the fixture");
        })
    })
    .await
    .expect("template database");
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store: StoreSettings::Postgres(PgConfig::new(db.url())),
        cache: None,
        ..Settings::default()
    };
    let running = common::spawn_app(settings).await;
    // The database outlives the server: both are dropped with the guard, server first.
    Checked::new(
        running.base_url.clone(),
        fixture().oracle.clone(),
        Box::new((running, db)),
    )
}

catalog_contract::contract_tests!(pg_app);
