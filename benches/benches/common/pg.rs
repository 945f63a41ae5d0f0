//! The PostgreSQL benches' set-up: the catalog named by `DATABASE_URL`.

use catalog_pg::{PgConfig, PgStore};
use tokio::runtime::Runtime;

/// `DATABASE_URL`, a runtime and a store on it; `None` (and a line saying
/// that `bench` measured nothing) when the variable is not set.
pub fn connect(bench: &str) -> Option<(String, Runtime, PgStore)> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("{bench}: DATABASE_URL is not set; nothing measured");
        return None;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = runtime
        .block_on(PgStore::connect(&PgConfig::new(&url)))
        .expect("connect to the catalog");
    Some((url, runtime, store))
}
