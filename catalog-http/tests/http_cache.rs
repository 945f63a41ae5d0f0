//! HTTP caching: strong `ETag`s that depend only on the data, 304 answers to
//! `If-None-Match`, `Cache-Control` from the configured policy on 200s, and
//! `no-store` on errors and health answers.

use std::sync::Arc;
use std::time::Duration;

use catalog_core::CatalogStore;
use catalog_http::{CachePolicy, ServiceConfig, service};
use catalog_mem::MemStore;
use catalog_source::GenerateConfig;
use warp::filters::BoxedFilter;
use warp::http::Response;
use warp::hyper::body::Bytes;

/// A generated 40-product catalog loaded into a fresh memory store.
fn store() -> Arc<dyn CatalogStore> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = GenerateConfig {
        products: 40,
        seed: 11,
        dirty_rate: 0.0,
    };
    catalog_source::generate(&config, dir.path()).expect("generate");
    let (store, _) = MemStore::load(dir.path(), &mut Vec::new()).expect("load");
    Arc::new(store)
}

fn app(policy: CachePolicy) -> BoxedFilter<(warp::reply::Response,)> {
    let config = ServiceConfig {
        http_cache: policy,
        ..ServiceConfig::default()
    };
    service(store(), &config)
}

async fn request(
    app: &BoxedFilter<(warp::reply::Response,)>,
    path: &str,
    if_none_match: Option<&str>,
) -> Response<Bytes> {
    let mut request = warp::test::request().path(path);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.reply(app).await
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn every_200_has_a_strong_etag_that_only_the_data_decides() {
    let (one, other) = (app(CachePolicy::default()), app(CachePolicy::default()));
    for path in [
        "/products?page=2&count=3",
        "/products/7",
        "/products/7/styles",
        "/products/7/related",
    ] {
        let first = request(&one, path, None).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = header(&first, "etag").expect("an ETag").to_owned();
        assert!(tag.len() == 34 && tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        // Another instance over the same data gives the same tag.
        assert_eq!(
            header(&request(&other, path, None).await, "etag"),
            Some(tag.as_str()),
            "{path}"
        );
    }
    let seven = request(&one, "/products/7/styles", None).await;
    let eight = request(&one, "/products/8/styles", None).await;
    assert_ne!(header(&seven, "etag"), header(&eight, "etag"));
}

#[tokio::test]
async fn if_none_match_with_the_current_tag_is_a_bodiless_304() {
    let app = app(CachePolicy::default());
    let fresh = request(&app, "/products/3/styles", None).await;
    let tag = header(&fresh, "etag").expect("an ETag").to_owned();

    for condition in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"stale\", {tag}"),
        "*".to_owned(),
    ] {
        let revalidated = request(&app, "/products/3/styles", Some(&condition)).await;
        assert_eq!(revalidated.status(), 304, "{condition}");
        assert!(revalidated.body().is_empty(), "{condition}");
        assert_eq!(header(&revalidated, "etag"), Some(tag.as_str()));
        assert_eq!(header(&revalidated, "cache-control"), header(&fresh, "cache-control"));
    }
    let changed = request(&app, "/products/3/styles", Some("\"stale\"")).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.body(), fresh.body());
}

#[tokio::test]
async fn cache_control_follows_the_policy() {
    let policy = CachePolicy {
        max_age: Duration::from_secs(30),
        stale_while_revalidate: Duration::from_secs(15),
        stale_if_error: Duration::from_secs(3600),
    };
    let response = request(&app(policy), "/products/1", None).await;
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=30, stale-while-revalidate=15, stale-if-error=3600")
    );
}

#[tokio::test]
async fn errors_and_health_answers_are_never_stored_and_have_no_etag() {
    let app = app(CachePolicy::default());
    for (path, status) in [
        ("/products/0", 400),
        ("/products?count=5000", 400),
        ("/products/999999/styles", 404),
        ("/nowhere", 404),
        ("/healthz", 200),
        ("/readyz", 200),
    ] {
        let response = request(&app, path, Some("*")).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(header(&response, "cache-control"), Some("no-store"), "{path}");
        assert_eq!(header(&response, "etag"), None, "{path}");
    }
    let refused = warp::test::request()
        .method("DELETE")
        .path("/products/1")
        .reply(&app)
        .await;
    assert_eq!(refused.status(), 405);
    assert_eq!(header(&refused, "cache-control"), Some("no-store"));
}
