//! Writes through one instance leave the response caches of the others:
//! two applications on one PostgreSQL database, each with its cache, the
//! second following the change log. Its poll is set to a minute, so only the
//! `LISTEN`/`NOTIFY` wake-up can bring a change within the test's wait.

mod common;

use std::time::{Duration, Instant};

use catalog_contract::writes::SuiteTokens;
use catalog_http::CacheConfig;
use catalog_http::app::{Settings, StoreSettings};
use catalog_pg::PgConfig;
use catalog_pg::testing::TestDatabase;
use serde_json::{Value, json};

const PRODUCTS: u32 = 20;
const SEED: u64 = 4;

/// Longest a change may take to show on the other instance before the test
/// fails (the figures belong to the benchmarks; this only bounds a hang).
const PATIENCE: Duration = Duration::from_secs(15);

async fn fresh_database() -> TestDatabase {
    common::pg_database("fleet", PRODUCTS, SEED, false).await
}

/// An instance on `db` with the response cache on, following the log every minute.
async fn instance(db: &TestDatabase, tokens: &SuiteTokens) -> common::RunningApp {
    common::spawn_app(Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store: StoreSettings::Postgres(PgConfig::new(db.url())),
        cache: Some(CacheConfig::default()),
        tokens_file: tokens.file.clone(),
        generation_check: Some(Duration::from_secs(60)),
        ..Settings::default()
    })
    .await
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    let answer = client.get(url).send().await.expect("GET");
    assert_eq!(answer.status(), 200);
    answer.json().await.expect("JSON")
}

/// Asks `read` until `shows` holds of its answer, or fails after [`PATIENCE`].
async fn until<F: Future<Output = Value>>(what: &str, mut read: impl FnMut() -> F, shows: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    loop {
        let answer = read().await;
        if shows(&answer) {
            eprintln!("{what}: shown after {:?}", started.elapsed());
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: still {answer} after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_leaves_the_others_cache() {
    let db = fresh_database().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tokens = SuiteTokens::create(dir.path());
    let (writer, reader) = (instance(&db, &tokens).await, instance(&db, &tokens).await);
    let client = reqwest::Client::new();
    // The follower starts at the log's end once it can read it.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Cached on the reader before the writes.
    let styles_url = format!("{}/products/1/styles", reader.base_url);
    let styles = get(&client, styles_url.clone()).await;
    let sku = styles["results"][0]["skus"]
        .as_object()
        .and_then(|skus| skus.keys().next().cloned())
        .expect("product 1 has a SKU");
    let quantity = |styles: &Value| {
        styles["results"]
            .as_array()
            .expect("results")
            .iter()
            .find_map(|style| style["skus"][sku.as_str()]["quantity"].as_i64())
    };
    let before = quantity(&styles).expect("the SKU is shown");
    let product_url = format!("{}/products/1", reader.base_url);
    let page_url = format!("{}/products?page=1&count=5", reader.base_url);
    let product = get(&client, product_url.clone()).await;
    get(&client, page_url.clone()).await;

    // A sale through the writer: the reader's styles answer shows it.
    let sold = client
        .post(format!("{}/skus/{sku}/adjustments", writer.base_url))
        .bearer_auth(&tokens.admin)
        .json(&json!({"delta": -1}))
        .send()
        .await
        .expect("POST adjustment");
    assert_eq!(sold.status(), 200);
    until(
        "the sale",
        || get(&client, styles_url.clone()),
        |styles| quantity(styles) == Some(before - 1),
    )
    .await;

    // A rename through the writer: the reader's product and page show it.
    let name = format!("{} (renamed)", product["name"].as_str().expect("a name"));
    let renamed = client
        .patch(format!("{}/products/1", writer.base_url))
        .bearer_auth(&tokens.admin)
        .json(&json!({"name": name}))
        .send()
        .await
        .expect("PATCH product");
    assert_eq!(renamed.status(), 200);
    until(
        "the rename",
        || get(&client, product_url.clone()),
        |product| product["name"] == name,
    )
    .await;
    until(
        "the rename in the list",
        || get(&client, page_url.clone()),
        |page| {
            page.as_array()
                .is_some_and(|page| page.iter().any(|product| product["name"] == name))
        },
    )
    .await;
}
