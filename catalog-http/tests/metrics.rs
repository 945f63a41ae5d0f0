//! `GET /metrics`: what the service answered, by route and status, its
//! latency, and the response cache's hits and misses, in Prometheus form.

mod common;

use catalog_http::{CacheConfig, ResponseCache, ServiceConfig, service};

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_the_cache() {
    let config = ServiceConfig {
        cache: Some(ResponseCache::new(CacheConfig::default())),
        ..ServiceConfig::default()
    };
    let app = service(common::generated_store(20, 3), &config);
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
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // No product id ever becomes a label value.
    assert!(!text.contains("/products/2"), "{text}");

    let refused = warp::test::request().method("POST").path("/metrics").reply(&app).await;
    assert_eq!(refused.status(), 405);
}
