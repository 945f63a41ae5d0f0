//! One request path for every answer: each carries a request id (the
//! caller's, or a new one), and the route table's methods feed `Allow`, 405s
//! and CORS preflights alike.

mod common;

use catalog_http::{ServiceConfig, service};
use warp::http::Method;

fn app() -> warp::filters::BoxedFilter<(warp::reply::Response,)> {
    service(common::generated_store(20, 3), &ServiceConfig::default())
}

#[tokio::test]
async fn every_answer_echoes_the_callers_request_id_or_carries_a_new_one() {
    let app = app();
    let cases = [
        (Method::GET, "/products/1", 200),
        (Method::GET, "/products/0", 400),
        (Method::GET, "/products/99999", 404),
        (Method::GET, "/nope", 404),
        (Method::PUT, "/products/1", 405),
        (Method::PATCH, "/products/1", 501),
        (Method::GET, "/healthz", 200),
    ];
    for (method, path, status) in cases {
        let given = warp::test::request()
            .method(method.as_str())
            .path(path)
            .header("x-request-id", "edge-42")
            .reply(&app)
            .await;
        assert_eq!(given.status(), status, "{method} {path}");
        assert_eq!(given.headers()["x-request-id"], "edge-42", "{method} {path}");
        let generated = warp::test::request()
            .method(method.as_str())
            .path(path)
            .reply(&app)
            .await;
        let id = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "{method} {path}: {id}");
        let again = warp::test::request()
            .method(method.as_str())
            .path(path)
            .reply(&app)
            .await;
        assert_ne!(
            again.headers()["x-request-id"].to_str().unwrap(),
            id,
            "a new id per request"
        );
    }
    let unreadable = warp::test::request()
        .path("/products/1")
        .header("x-request-id", "two words")
        .reply(&app)
        .await;
    assert_eq!(
        unreadable.headers()["x-request-id"].len(),
        32,
        "an id with a space is replaced"
    );
}

#[tokio::test]
async fn allow_405_and_preflight_methods_come_from_the_route_table() {
    let app = app();
    for (path, allowed) in [
        ("/products", "GET, HEAD, POST, OPTIONS"),
        ("/products/1/styles", "GET, HEAD, POST, OPTIONS"),
        ("/products/1/related", "GET, HEAD, OPTIONS"),
        ("/skus/1", "GET, HEAD, PATCH, DELETE, OPTIONS"),
        ("/adjustments", "POST, OPTIONS"),
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/metrics", "GET, HEAD, OPTIONS"),
        ("/openapi.json", "GET, HEAD, OPTIONS"),
    ] {
        let refused = warp::test::request().method("PUT").path(path).reply(&app).await;
        assert_eq!(refused.status(), 405, "{path}");
        assert_eq!(refused.headers()["allow"], allowed, "{path}");
        let options = warp::test::request().method("OPTIONS").path(path).reply(&app).await;
        assert_eq!(options.status(), 204, "{path}");
        assert_eq!(options.headers()["allow"], allowed, "{path}");
        let asked = allowed.split(", ").next().unwrap_or("GET");
        let preflight = warp::test::request()
            .method("OPTIONS")
            .path(path)
            .header("origin", "https://shop.example")
            .header("access-control-request-method", asked)
            .reply(&app)
            .await;
        assert_eq!(preflight.status(), 200, "{path}");
        assert_eq!(preflight.headers()["access-control-allow-methods"], allowed);
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
        let refused_preflight = warp::test::request()
            .method("OPTIONS")
            .path(path)
            .header("origin", "https://shop.example")
            .header("access-control-request-method", "PUT")
            .reply(&app)
            .await;
        assert_eq!(refused_preflight.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn requests_are_counted_under_their_route_label() {
    let app = app();
    for path in [
        "/products/1/styles",
        "/products/2/styles",
        "/products/x/related",
        "/nope/1",
    ] {
        warp::test::request().path(path).reply(&app).await;
    }
    let metrics = warp::test::request().path("/metrics").reply(&app).await;
    let text = std::str::from_utf8(metrics.body()).unwrap();
    for line in [
        r#"catalog_http_requests_total{route="styles",status="200"} 2"#,
        r#"catalog_http_requests_total{route="related",status="400"} 1"#,
        r#"catalog_http_requests_total{route="other",status="404"} 1"#,
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}
