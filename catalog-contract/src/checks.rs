//! The contract checks: each takes a running [`App`] and panics on a breach.

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};

pub use crate::storefront::styles_read_as_storefronts_do;
use crate::{App, Oracle};

/// The content type the contract requires on every JSON answer.
const JSON: &str = "application/json; charset=utf-8";

/// A response as the checks need it.
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body text.
    pub body: String,
}

/// Sends `method path` with extra `headers` and returns the whole answer.
pub async fn send(app: &App, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.request(method.clone(), format!("{}{path}", app.base_url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("{method} {path}: {err}"));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("response body");
    Answer { status, headers, body }
}

/// `GET path`, asserting the JSON content type.
pub async fn get(app: &App, path: &str) -> Answer {
    let answer = send(app, Method::GET, path, &[]).await;
    assert_eq!(content_type(&answer), JSON, "content type of GET {path}");
    answer
}

fn content_type(answer: &Answer) -> &str {
    answer
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Asserts a 200 whose body is exactly `expected`.
async fn assert_body(app: &App, path: &str, expected: &str) {
    let answer = get(app, path).await;
    assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
    assert_eq!(answer.body, expected, "GET {path}");
}

/// Asserts `status` with a JSON error body `{"error": "<non-empty sentence>"}`.
pub fn assert_error(answer: &Answer, status: StatusCode, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(content_type(answer), JSON, "{what}");
    let body: serde_json::Value =
        serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("{what}: {}", answer.body));
    let message = body.get("error").and_then(|e| e.as_str()).unwrap_or("");
    assert!(!message.is_empty(), "{what}: error body {}", answer.body);
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "{what}: only `error` in {}",
        answer.body
    );
}

/// A spread of product ids: first, last, edge cases and a seeded random sample.
fn sample_ids(app: &App) -> Vec<i32> {
    let oracle = &app.oracle;
    let ids = oracle.product_ids();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut sample = vec![ids[0], ids[ids.len() - 1]];
    sample.extend(oracle.ids_with_repeated_links().into_iter().take(5));
    sample.extend(oracle.ids_without_children().into_iter().take(10));
    sample.extend(oracle.ids_with_bare_styles().into_iter().take(10));
    sample.extend((0..40).map(|_| ids[rng.usize(..ids.len())]));
    sample
}

/// Pages in id order: defaults, first, deep, last partial, past the end.
pub async fn list_pages(app: &App) {
    let oracle = &app.oracle;
    let total = oracle.product_ids().len();
    assert_body(app, "/products", &oracle.list(1, 5)).await;
    let last_partial = total / 7 + 1;
    for (page, count) in [
        (1, 1),
        (2, 5),
        (3, 100),
        (1, 1000),
        (2, 1000),
        (last_partial, 7),
        (total, 1),
        (total + 1, 1),
    ] {
        assert_body(
            app,
            &format!("/products?page={page}&count={count}"),
            &oracle.list(page, count),
        )
        .await;
    }
    assert_body(app, "/products?page=2147483647&count=1000", "[]").await;
    assert_body(app, "/products?count=3", &oracle.list(1, 3)).await;
    assert_body(app, "/products?page=4", &oracle.list(4, 5)).await;
    assert_body(app, "/products?page=002&count=05", &oracle.list(2, 5)).await;
}

/// A trailing slash names the same resource, as in the original Express API.
pub async fn trailing_slash_is_the_same_resource(app: &App) {
    assert_body(app, "/products/?count=2", &app.oracle.list(1, 2)).await;
    assert_body(app, "/products/1/", &app.oracle.product(1).expect("product 1")).await;
    assert_body(app, "/products/1/styles/", &app.oracle.styles(1).expect("product 1")).await;
}

/// Unknown query parameters change nothing.
pub async fn unknown_query_parameters_are_ignored(app: &App) {
    let expected = app.oracle.list(2, 3);
    assert_body(app, "/products?page=2&count=3&sort=price&utm_source=x", &expected).await;
    assert_body(app, "/products?flag&page=2&count=3", &expected).await;
    assert_body(app, "/products/1?page=abc", &app.oracle.product(1).expect("product 1")).await;
}

/// Asserts `GET /products/{id}{suffix}` for every sampled id against `expected`.
async fn assert_sampled(app: &App, suffix: &str, expected: fn(&Oracle, i32) -> Option<String>) {
    for id in sample_ids(app) {
        let body = expected(&app.oracle, id).expect("sampled ids exist");
        assert_body(app, &format!("/products/{id}{suffix}"), &body).await;
    }
}

/// `GET /products/:id` for a sample of products.
pub async fn product_details(app: &App) {
    assert_sampled(app, "", Oracle::product).await;
}

/// `GET /products/:id/styles` for a sample of products.
pub async fn styles(app: &App) {
    assert_sampled(app, "/styles", Oracle::styles).await;
}

/// `GET /products/:id/related` for a sample, repeated links included.
pub async fn related(app: &App) {
    assert_sampled(app, "/related", Oracle::related).await;
}

/// Well-formed ids without a product (gaps left by rejected rows, past the
/// end, the largest i32) are 404 on every product route.
pub async fn missing_products_are_404(app: &App) {
    let mut missing = app.oracle.gap_ids();
    assert!(
        !missing.is_empty(),
        "the fixture should have rejected products leaving gaps"
    );
    missing.truncate(10);
    let last = *app.oracle.product_ids().last().expect("products");
    missing.extend([last + 1, 1_999_999_999, i32::MAX]);
    for id in missing {
        for suffix in ["", "/styles", "/related"] {
            let path = format!("/products/{id}{suffix}");
            assert_error(&get(app, &path).await, StatusCode::NOT_FOUND, &path);
        }
    }
}

/// Malformed ids and paging parameters are 400 with a JSON error.
pub async fn bad_input_is_400(app: &App) {
    let bad_ids = [
        "0",
        "-1",
        "+1",
        "1.0",
        "1e3",
        "0x1F",
        "%201",
        "1%20",
        "12a",
        "abc",
        "2147483648",
        "99999999999999999999",
        "%E2%82%AC",
    ];
    for id in bad_ids {
        for suffix in ["", "/styles", "/related"] {
            let path = format!("/products/{id}{suffix}");
            assert_error(&get(app, &path).await, StatusCode::BAD_REQUEST, &path);
        }
    }
    let bad_queries = [
        "page=0",
        "page=-1",
        "page=1.5",
        "page=",
        "page=abc",
        "page=2147483648",
        "page=%2B1",
        "count=0",
        "count=1001",
        "count=-5",
        "count=1e2",
        "count=",
        "count=ten",
        "page=1&page=2",
        "count=1&count=1",
    ];
    for query in bad_queries {
        let path = format!("/products?{query}");
        assert_error(&get(app, &path).await, StatusCode::BAD_REQUEST, &path);
    }
}

/// Paths outside the contract are 404 in the JSON error form.
pub async fn unknown_paths_are_404(app: &App) {
    for path in [
        "/",
        "/product",
        "/productsx",
        "/products/1/nope",
        "/products/1/styles/2",
        "/products/1/related/2/x",
        "/products//styles",
    ] {
        assert_error(&get(app, path).await, StatusCode::NOT_FOUND, path);
    }
}

/// A method a read route does not have is 405 with `Allow`; the write
/// methods a route has (its `POST`, `PATCH`, `DELETE`) are the write suite's.
pub async fn other_methods_are_405(app: &App) {
    let refused: [(Method, &[&str]); 4] = [
        (Method::POST, &["/products/1", "/products/1/related", "/products/abc"]),
        (
            Method::PUT,
            &["/products", "/products/1", "/products/1/styles", "/products/1/related"],
        ),
        (
            Method::DELETE,
            &["/products", "/products/1/styles", "/products/1/related"],
        ),
        (
            Method::PATCH,
            &["/products", "/products/1/styles", "/products/1/related"],
        ),
    ];
    for (method, paths) in refused {
        for path in paths {
            let what = format!("{method} {path}");
            let answer = send(app, method.clone(), path, &[]).await;
            assert_error(&answer, StatusCode::METHOD_NOT_ALLOWED, &what);
            let allow = answer.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
            assert!(
                allow.contains("GET") && allow.contains("HEAD") && !allow.contains(method.as_str()),
                "{what}: allow {allow:?}"
            );
        }
    }
}

/// HEAD answers like GET without a body.
pub async fn head_matches_get(app: &App) {
    for path in [
        "/products",
        "/products/1",
        "/products/1/styles",
        "/products/1/related",
        "/products/abc",
        "/healthz",
    ] {
        let got = get(app, path).await;
        let head = send(app, Method::HEAD, path, &[]).await;
        assert_eq!(head.status, got.status, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has a body");
        let length = |a: &Answer| a.headers.get("content-length").cloned();
        assert_eq!(length(&head), length(&got), "HEAD {path} content-length");
    }
}

/// Cross-origin GETs are allowed, and a preflight for GET is answered.
pub async fn cors(app: &App) {
    let origin = "https://shop.example";
    for path in ["/products", "/products/1/styles", "/products/abc", "/nope"] {
        let answer = send(app, Method::GET, path, &[("origin", origin)]).await;
        let allowed = answer
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok());
        assert!(
            matches!(allowed, Some(o) if o == origin || o == "*"),
            "GET {path}: {allowed:?}"
        );
    }
    let preflight = [("origin", origin), ("access-control-request-method", "GET")];
    let answer = send(app, Method::OPTIONS, "/products/1/styles", &preflight).await;
    assert!(answer.status.is_success(), "preflight: {}", answer.status);
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        header("access-control-allow-methods").contains("GET"),
        "preflight methods"
    );
    assert!(
        header("access-control-max-age").parse::<u64>().is_ok(),
        "preflight max age"
    );
    assert!(!header("access-control-allow-origin").is_empty(), "preflight origin");
}

/// `GET /healthz` says the process is up.
pub async fn healthz(app: &App) {
    assert_body(app, "/healthz", r#"{"status":"ok"}"#).await;
}
