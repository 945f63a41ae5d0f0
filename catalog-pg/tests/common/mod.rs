//! Setting up the PostgreSQL tests: fresh databases holding small generated
//! catalogs, imported as the binary imports them. Each test binary uses part
//! of this.
#![allow(dead_code)]

use catalog_contract::Fixture;
use catalog_core::SkuId;
use catalog_core::write::{Adjustment, Delta, WriteContext, WriteOp, WriteRequest};
use catalog_pg::testing::TestDatabase;
use catalog_pg::{PgConfig, PgStore, import};
use catalog_source::GenerateConfig;

/// A clean generated catalog of `products` products from `seed`.
pub fn fixture(products: u32, seed: u64) -> Fixture {
    Fixture::generate(&GenerateConfig {
        products,
        seed,
        dirty_rate: 0.0,
    })
}

/// A fresh database with `fixture` imported into it.
pub async fn imported(fixture: &Fixture) -> TestDatabase {
    let db = TestDatabase::empty();
    let (url, path) = (db.url().to_owned(), fixture.path().to_owned());
    tokio::task::spawn_blocking(move || import(&url, &path, &mut Vec::new()).expect("import"))
        .await
        .expect("import task");
    db
}

/// A fresh database holding a generated catalog of `products` from `seed`,
/// and a store on it with `configure` applied to its default configuration.
pub async fn imported_store(
    products: u32,
    seed: u64,
    configure: impl FnOnce(&mut PgConfig),
) -> (TestDatabase, PgStore) {
    let db = imported(&fixture(products, seed)).await;
    let mut config = PgConfig::new(db.url());
    configure(&mut config);
    let store = PgStore::connect(&config).await.expect("connect");
    (db, store)
}

/// A write of `op` by the token named `token`, with request id `r`.
pub fn write_request(op: WriteOp, token: &str) -> WriteRequest {
    WriteRequest {
        op,
        context: WriteContext {
            token: token.into(),
            request_id: "r".into(),
            ..WriteContext::default()
        },
    }
}

/// An adjustment of SKU `sku` by `delta`, with no reason, by the token named `token`.
pub fn adjustment(sku: i32, delta: i32, token: &str) -> WriteRequest {
    let adjust = Adjustment {
        delta: Delta(delta),
        reason: None,
    };
    write_request(WriteOp::AdjustSku(SkuId::new(sku).expect("an id"), adjust), token)
}
