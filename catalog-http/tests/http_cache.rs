//! HTTP caching: strong `ETag`s that depend only on the data, 304 answers to
//! `If-None-Match`, `Cache-Control` from the configured policy on 200s,
//! `no-store` on errors and health answers, and brotli or gzip as
//! `Accept-Encoding` asks.

mod common;

use std::io::Read;
use std::time::Duration;

use catalog_http::{CacheConfig, CachePolicy, ResponseCache, ServiceConfig, service};
use warp::filters::BoxedFilter;
use warp::http::Response;
use warp::hyper::body::Bytes;

fn app(policy: CachePolicy) -> BoxedFilter<(warp::reply::Response,)> {
    let config = ServiceConfig {
        http_cache: policy,
        ..ServiceConfig::default()
    };
    service(common::generated_store(40, 11), &config)
}

/// [`app`] with the response cache on: answers, their tags and compressed
/// forms are kept and reused.
fn cached_app() -> BoxedFilter<(warp::reply::Response,)> {
    let config = ServiceConfig {
        cache: Some(ResponseCache::new(CacheConfig::default())),
        ..ServiceConfig::default()
    };
    service(common::generated_store(40, 11), &config)
}

async fn request(
    app: &BoxedFilter<(warp::reply::Response,)>,
    path: &str,
    if_none_match: Option<&str>,
) -> Response<Bytes> {
    request_encoded(app, path, if_none_match, None).await
}

async fn request_encoded(
    app: &BoxedFilter<(warp::reply::Response,)>,
    path: &str,
    if_none_match: Option<&str>,
    accept_encoding: Option<&str>,
) -> Response<Bytes> {
    let mut request = warp::test::request().path(path);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    if let Some(codings) = accept_encoding {
        request = request.header("accept-encoding", codings);
    }
    request.reply(app).await
}

/// `body` decoded from `coding`.
fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        other => panic!("unexpected coding {other}"),
    }
    .expect("a valid compressed body");
    out
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
async fn answers_that_carry_stock_follow_the_stock_policy_and_every_answer_names_its_surrogate_keys() {
    let config = ServiceConfig {
        stock_http_cache: CachePolicy {
            max_age: Duration::from_secs(2),
            stale_while_revalidate: Duration::from_secs(3),
            stale_if_error: Duration::from_secs(4),
        },
        ..ServiceConfig::default()
    };
    let stock_app = service(common::generated_store(40, 11), &config);
    let catalog = "public, max-age=60, stale-while-revalidate=60, stale-if-error=600";
    let stock = "public, max-age=2, stale-while-revalidate=3, stale-if-error=4";
    for (path, policy, keys) in [
        ("/products?page=2&count=3", catalog, "catalog products"),
        ("/products/7", catalog, "catalog product-7"),
        ("/products/7/styles", stock, "catalog styles-7"),
        ("/products/7/related", catalog, "catalog related-7"),
    ] {
        let response = request(&stock_app, path, None).await;
        assert_eq!(header(&response, "cache-control"), Some(policy), "{path}");
        assert_eq!(header(&response, "surrogate-key"), Some(keys), "{path}");
        let revalidated = request(&stock_app, path, header(&response, "etag")).await;
        assert_eq!(revalidated.status(), 304, "{path}");
        assert_eq!(header(&revalidated, "cache-control"), Some(policy), "{path}");
    }
    let defaults = request(&app(CachePolicy::default()), "/products/7/styles", None).await;
    assert_eq!(
        header(&defaults, "cache-control"),
        Some("public, max-age=1, stale-while-revalidate=1, stale-if-error=600")
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
        .method("PUT")
        .path("/products/1")
        .reply(&app)
        .await;
    assert_eq!(refused.status(), 405);
    assert_eq!(header(&refused, "cache-control"), Some("no-store"));
}

#[tokio::test]
async fn large_answers_are_compressed_as_the_client_asks_with_their_own_tags() {
    for app in [app(CachePolicy::default()), cached_app()] {
        compressed_answers_with_their_own_tags(&app).await;
    }
}

async fn compressed_answers_with_their_own_tags(app: &BoxedFilter<(warp::reply::Response,)>) {
    let mut path = String::new();
    let mut plain = request(app, "/products/1/styles", None).await;
    for id in 1..=40 {
        let candidate = format!("/products/{id}/styles");
        let answer = request(app, &candidate, None).await;
        if answer.body().len() > plain.body().len() || path.is_empty() {
            (path, plain) = (candidate, answer);
        }
    }
    let path = path.as_str();
    assert!(plain.body().len() >= 1024, "a styles answer large enough to compress");
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary"), Some("accept-encoding"));
    let plain_tag = header(&plain, "etag").expect("an ETag").to_owned();

    for (accept, coding) in [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0.1, gzip", "gzip"),
    ] {
        let encoded = request_encoded(app, path, None, Some(accept)).await;
        assert_eq!(encoded.status(), 200, "{accept}");
        assert_eq!(header(&encoded, "content-encoding"), Some(coding), "{accept}");
        assert_eq!(header(&encoded, "vary"), Some("accept-encoding"));
        assert!(encoded.body().len() < plain.body().len() / 2, "{accept}");
        assert_eq!(decode(coding, encoded.body()), plain.body().as_ref(), "{accept}");
        let tag = header(&encoded, "etag").expect("an ETag").to_owned();
        assert_ne!(tag, plain_tag, "each representation has its own tag");

        let revalidated = request_encoded(app, path, Some(&tag), Some(accept)).await;
        assert_eq!(revalidated.status(), 304, "{accept}");
        assert!(revalidated.body().is_empty());
    }
    // The identity tag does not validate a compressed representation.
    let other = request_encoded(app, path, Some(&plain_tag), Some("br")).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn small_answers_and_unacceptable_codings_are_sent_as_they_are() {
    let app = app(CachePolicy::default());
    for (path, accept) in [
        ("/products/5/related", "br, gzip"),
        ("/products/5/styles", "identity, deflate"),
    ] {
        let response = request_encoded(&app, path, None, Some(accept)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-encoding"), None, "{path}");
        assert_eq!(header(&response, "vary"), Some("accept-encoding"), "{path}");
        let plain = request(&app, path, None).await;
        assert_eq!(response.body(), plain.body());
        assert_eq!(header(&response, "etag"), header(&plain, "etag"));
    }
    let error = request_encoded(&app, "/products/0", None, Some("br")).await;
    assert_eq!(
        (error.status().as_u16(), header(&error, "content-encoding")),
        (400, None)
    );
}

#[tokio::test]
async fn with_any_origin_allowed_every_answer_says_star_so_a_shared_copy_serves_every_site() {
    let app = app(CachePolicy::default());
    for (path, origin) in [
        ("/products/2", None),
        ("/products/2", Some("https://a.example")),
        ("/products/2/styles", Some("https://b.example")),
        ("/products/0", Some("https://a.example")),
    ] {
        let mut request = warp::test::request().path(path);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.reply(&app).await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("*"),
            "{path} from {origin:?}"
        );
    }
}

#[tokio::test]
async fn unreadable_conditional_and_encoding_headers_count_as_absent() {
    let app = app(CachePolicy::default());
    let plain = request(&app, "/products/4/styles", None).await;
    for name in ["if-none-match", "accept-encoding"] {
        let response = warp::test::request()
            .path("/products/4/styles")
            .header(
                name,
                warp::http::HeaderValue::from_bytes(b"\"caf\xe9\"").expect("obs-text"),
            )
            .reply(&app)
            .await;
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.body(), plain.body(), "{name}");
    }
}
