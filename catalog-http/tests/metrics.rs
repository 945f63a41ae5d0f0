//! `GET /metrics`: what the service answered, by route and status, its
//! latency, the response cache's hits, misses and flushes, and the store's
//! connection pools, in Prometheus form.

mod common;

use catalog_http::{CacheConfig, ResponseCache, ServiceConfig, service};

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_the_cache() {
    let cache = ResponseCache::new(CacheConfig::default());
    let config = ServiceConfig {
        cache: Some(cache.clone()),
        ..ServiceConfig::default()
    };
    let app = service(common::generated_store(20, 3), &config);
    cache.invalidate_all();
    for path in [
        "/products/2/styles",
        "/products/2/styles",
        "/products/3/styles",
        "/products/0",
        "/products/x/related",
    ] {
        warp::test::request().path(path).reply(&app).await;
    }

    let scrape = warp::test::request().path("/metrics").reply(&app).await;
    assert_eq!(scrape.status(), 200);
    assert_eq!(
        scrape.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(scrape.headers()["cache-control"], "no-store");
    let text = String::from_utf8(scrape.body().to_vec()).expect("UTF-8");
    for line in [
        r#"catalog_http_requests_total{route="styles",status="200"} 3"#,
        r#"catalog_http_requests_total{route="product",status="400"} 1"#,
        r#"catalog_http_requests_total{route="related",status="400"} 1"#,
        r#"catalog_http_request_duration_seconds_count{route="styles"} 3"#,
        "catalog_cache_hits_total 1",
        "catalog_cache_misses_total 2",
        "catalog_cache_flushes_total 1",
        "catalog_store_ready 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // No product id ever becomes a label value.
    assert!(!text.contains("/products/2"), "{text}");

    let refused = warp::test::request().method("POST").path("/metrics").reply(&app).await;
    assert_eq!(refused.status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_each_connection_pool_of_a_postgres_store() {
    let db = tokio::task::spawn_blocking(|| {
        let db = catalog_pg::testing::TestDatabase::empty();
        catalog_pg::migrate(db.url()).expect("migrate");
        db
    })
    .await
    .unwrap();
    // A replica nobody listens on: reads fall back to the primary.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = catalog_pg::PgConfig::new(db.url());
    config.pool_size = 3;
    config.replica_backoff = std::time::Duration::from_secs(60);
    config.replica_urls = vec![format!("postgres://postgres@127.0.0.1:{closed_port}/catalog")];
    let store = catalog_pg::PgStore::connect(&config).await.expect("connect");
    let app = service(std::sync::Arc::new(store), &ServiceConfig::default());
    for _ in 0..3 {
        let answer = warp::test::request().path("/products").reply(&app).await;
        assert_eq!(answer.status(), 200);
    }

    let scrape = warp::test::request().path("/metrics").reply(&app).await;
    let text = String::from_utf8(scrape.body().to_vec()).expect("UTF-8");
    for line in [
        r#"catalog_store_pool_max_connections{pool="primary"} 3"#,
        r#"catalog_store_pool_max_connections{pool="replica-1"} 3"#,
        r#"catalog_store_pool_connections{pool="primary",state="idle"} 1"#,
        r#"catalog_store_pool_connections{pool="primary",state="in_use"} 0"#,
        r#"catalog_store_pool_connections{pool="replica-1",state="idle"} 0"#,
        r#"catalog_store_pool_waiting{pool="primary"} 0"#,
        r#"catalog_store_pool_up{pool="primary"} 1"#,
        r#"catalog_store_pool_up{pool="replica-1"} 0"#,
        "catalog_store_ready 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
}

#[tokio::test]
async fn a_scrape_reports_a_store_that_cannot_answer_as_not_ready() {
    let mut store = common::MockStore::new();
    store.expect_ready().returning(|| {
        Err(catalog_core::StoreError::unavailable(
            catalog_core::UnavailableKind::Unreachable,
            "the database is down",
        ))
    });
    let app = service(std::sync::Arc::new(store), &ServiceConfig::default());
    let scrape = warp::test::request().path("/metrics").reply(&app).await;
    assert_eq!(scrape.status(), 200, "the scrape itself still answers");
    let text = String::from_utf8(scrape.body().to_vec()).expect("UTF-8");
    assert!(text.lines().any(|l| l == "catalog_store_ready 0"), "{text}");
}
