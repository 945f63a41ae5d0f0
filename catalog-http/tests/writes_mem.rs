//! The write contract suite against the memory store, through real HTTP:
//! each test gets a fresh generated catalog, its own tokens file and the
//! application started with [`App::build`] as the binary starts it.

mod common;

use catalog_contract::writes::{SuiteTokens, WriteApp};
use catalog_http::CacheConfig;
use catalog_http::app::{Settings, StoreSettings};

/// Products in each test's fresh catalog.
const PRODUCTS: u32 = 60;

async fn fresh_app(cache: Option<CacheConfig>) -> WriteApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tokens = SuiteTokens::create(dir.path());
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store: StoreSettings::Generated {
            products: PRODUCTS,
            seed: 11,
        },
        cache,
        tokens_file: tokens.file.clone(),
        ..Settings::default()
    };
    let running = common::spawn_app(settings).await;
    WriteApp {
        base_url: running.base_url.clone(),
        tokens,
        client: reqwest::Client::new(),
        guard: Box::new((running, dir)),
    }
}

/// With the response cache in front of the store (the binary's default).
async fn mem_app() -> WriteApp {
    fresh_app(Some(CacheConfig::default())).await
}

catalog_contract::write_contract_tests!(mem_app);

/// The same suite with no response cache.
mod uncached {
    use super::*;

    async fn mem_app_uncached() -> WriteApp {
        fresh_app(None).await
    }

    catalog_contract::write_contract_tests!(mem_app_uncached);
}

/// `GET /skus/:id` carries stock: shared caches keep it under the stock
/// policy, and it is purged with its product's styles.
#[tokio::test]
async fn a_sku_answer_is_kept_as_briefly_as_stock_and_purged_with_its_products_styles() {
    let app = fresh_app(None).await;
    let response = app
        .client
        .get(format!("{}/skus/1", app.base_url))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().expect("ASCII").to_owned();
    assert_eq!(
        header("cache-control"),
        "public, max-age=1, stale-while-revalidate=1, stale-if-error=600"
    );
    let keys = header("surrogate-key");
    let sku: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(keys, format!("catalog styles-{}", sku["product_id"]));
}
