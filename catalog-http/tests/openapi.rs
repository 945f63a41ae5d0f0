//! The OpenAPI document in `api/openapi.json` against the real service: it is
//! what `GET /openapi.json` serves, every answer of a sample of requests
//! (successes and errors, on every documented path) validates against the
//! schema the document gives for its path and status, and the document names
//! no path the service does not answer.

mod common;

use std::collections::BTreeSet;

use catalog_http::{OPENAPI_JSON, ServiceConfig, service};
use serde_json::{Value, json};
use warp::filters::BoxedFilter;

fn app() -> BoxedFilter<(warp::reply::Response,)> {
    service(common::generated_store(60, 5), &ServiceConfig::default())
}

/// The documented path template a request path falls under.
fn template(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["products"] => "/products",
        ["products", _] => "/products/{product_id}",
        ["products", _, "styles"] => "/products/{product_id}/styles",
        ["products", _, "related"] => "/products/{product_id}/related",
        ["healthz"] => "/healthz",
        ["readyz"] => "/readyz",
        ["metrics"] => "/metrics",
        ["openapi.json"] => "/openapi.json",
        _ => panic!("no documented path for {path}"),
    }
}

/// Follows a local `$ref` (`#/a/b`) to the object it names.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("a local reference");
            resolve(document, document.pointer(pointer).expect("the reference exists"))
        }
        None => value,
    }
}

/// The JSON schema the document gives for `status` on `path`'s GET, with
/// the components beside it so that its references resolve.
fn response_schema(document: &Value, path: &str, status: u16) -> Option<Value> {
    let operation = &document["paths"][template(path)]["get"];
    let response = operation["responses"].get(status.to_string())?;
    let response = resolve(document, response);
    let mut schema = response["content"]["application/json"]["schema"].clone();
    if schema.is_null() {
        return None;
    }
    schema["components"] = document["components"].clone();
    Some(schema)
}

#[tokio::test]
async fn the_served_document_is_the_one_in_the_repository() {
    let response = warp::test::request().path("/openapi.json").reply(&app()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), OPENAPI_JSON.as_bytes());
    let document: Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
    assert_eq!(document["openapi"], "3.1.0");
}

#[tokio::test]
async fn real_answers_validate_against_the_documented_schemas() {
    let document: Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
    let app = app();
    let mut paths: Vec<String> = vec![
        "/products".into(),
        "/products?page=3&count=7".into(),
        "/products?page=9999".into(),
        "/products?count=0".into(),
        "/products/0".into(),
        "/products/999999".into(),
        "/products/1.5/styles".into(),
        "/products/999999/related".into(),
        "/healthz".into(),
        "/readyz".into(),
    ];
    for id in 1..=60 {
        for suffix in ["", "/styles", "/related"] {
            paths.push(format!("/products/{id}{suffix}"));
        }
    }
    let mut seen = BTreeSet::new();
    for path in &paths {
        let response = warp::test::request().path(path).reply(&app).await;
        let status = response.status().as_u16();
        let schema = response_schema(&document, path, status)
            .unwrap_or_else(|| panic!("{path}: status {status} is not documented with a JSON body"));
        let body: Value = serde_json::from_slice(response.body()).expect("a JSON body");
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let errors: Vec<String> = validator.iter_errors(&body).map(|error| error.to_string()).collect();
        assert!(errors.is_empty(), "{path} ({status}): {errors:?}\n{body}");
        seen.insert((template(path), status));
    }
    for expected in [
        ("/products", 200),
        ("/products", 400),
        ("/products/{product_id}", 200),
        ("/products/{product_id}", 400),
        ("/products/{product_id}", 404),
        ("/products/{product_id}/styles", 200),
        ("/products/{product_id}/styles", 400),
        ("/products/{product_id}/related", 200),
        ("/products/{product_id}/related", 404),
        ("/healthz", 200),
        ("/readyz", 200),
    ] {
        assert!(seen.contains(&expected), "not exercised: {expected:?}");
    }
}

#[tokio::test]
async fn every_documented_path_is_answered() {
    let document: Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
    let app = app();
    let paths = document["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), 8);
    for template in paths.keys() {
        let path = template.replace("{product_id}", "1");
        let response = warp::test::request().path(&path).reply(&app).await;
        assert_eq!(response.status(), 200, "{template}");
    }
    // A schema that refuses what the contract refuses: a price with one fraction digit.
    let mut price = json!({"$ref": "#/components/schemas/Price"});
    price["components"] = document["components"].clone();
    let validator = jsonschema::validator_for(&price).expect("a valid schema");
    assert!(validator.is_valid(&json!("140.00")));
    assert!(!validator.is_valid(&json!("140.0")));
}
