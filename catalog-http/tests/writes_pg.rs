//! The write contract suite against the PostgreSQL store, through real HTTP:
//! each test gets its own database, copied from a template holding the same
//! generated catalog as `writes_mem.rs` (60 products, seed 11), its own
//! tokens file, and the application started with [`App::build`] as the
//! binary starts it.

mod common;

use catalog_contract::writes::{SuiteTokens, WriteApp};
use catalog_http::CacheConfig;
use catalog_http::app::{Settings, StoreSettings};
use catalog_pg::PgConfig;
use catalog_pg::testing::TestDatabase;

/// Products in each test's fresh catalog.
const PRODUCTS: u32 = 60;
/// The generator's seed, as `writes_mem.rs` uses.
const SEED: u64 = 11;

/// A fresh database holding the imported generated catalog. The suite's
/// fresh store starts with an empty change log, as the memory store's does:
/// the import's `catalog.imported` entry is checked by catalog-pg's tests
/// (tests/writes_import_pg.rs).
async fn fresh_database() -> TestDatabase {
    common::pg_database("writes", PRODUCTS, SEED, true).await
}

async fn fresh_app(cache: Option<CacheConfig>) -> WriteApp {
    let db = fresh_database().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tokens = SuiteTokens::create(dir.path());
    let mut config = PgConfig::new(db.url());
    // The suite's concurrency checks send up to 240 requests at once.
    config.pool_size = 16;
    // They check exactness, not speed: 200 durable commits in turn on one
    // SKU can take seconds on a busy shared machine, so the timeouts that
    // would turn waiting into 503s are set far above that (the limits have
    // their own tests).
    config.statement_timeout = std::time::Duration::from_secs(60);
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store: StoreSettings::Postgres(config),
        cache,
        tokens_file: tokens.file.clone(),
        request_deadline: std::time::Duration::from_secs(120),
        ..Settings::default()
    };
    let running = common::spawn_app(settings).await;
    WriteApp {
        base_url: running.base_url.clone(),
        tokens,
        client: reqwest::Client::new(),
        // The database outlives the server: both are dropped with the guard, server first.
        guard: Box::new((running, dir, db)),
    }
}

/// With no response cache.
async fn pg_app() -> WriteApp {
    fresh_app(None).await
}

catalog_contract::write_contract_tests!(pg_app);

/// The same suite with the response cache in front of the store.
mod cached {
    use super::*;

    async fn pg_app_cached() -> WriteApp {
        fresh_app(Some(CacheConfig::default())).await
    }

    catalog_contract::write_contract_tests!(pg_app_cached);
}
