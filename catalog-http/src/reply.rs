//! JSON responses: bodies in the contract's form, and errors mapped to statuses.

use catalog_core::StoreError;
use serde::Serialize;
use warp::http::{HeaderValue, Response, StatusCode, header};
use warp::hyper::body::Bytes;

/// The response type every catalog route produces.
pub type JsonResponse = Response<warp::hyper::body::Bytes>;

/// The content type of every catalog answer.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The methods every catalog route allows.
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";

/// A response with `status` and a serialized JSON `body`.
pub fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> JsonResponse {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// The contract's error form: `{"error": "<message>"}` with `status`, marked
/// never to be stored by a cache.
pub fn json_error(status: StatusCode, message: &str) -> JsonResponse {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
    }
    let body = serde_json::to_vec(&ErrorBody { error: message }).unwrap_or_default();
    let mut response = json_bytes(status, body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A 405 naming the allowed methods.
pub fn method_not_allowed(method: &warp::http::Method) -> JsonResponse {
    let message = format!("method {method} is not allowed; use GET or HEAD");
    let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, &message);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    response
}

/// The 503 of a store that cannot answer now.
pub fn unavailable() -> JsonResponse {
    json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the catalog is temporarily unavailable; retry shortly",
    )
}

/// The status and message for a store error; internal details stay in the log.
pub fn store_error(err: &StoreError) -> JsonResponse {
    match err {
        StoreError::ProductNotFound(_) => json_error(StatusCode::NOT_FOUND, &err.to_string()),
        StoreError::Unavailable { .. } => {
            tracing::warn!(%err, "store unavailable");
            unavailable()
        }
        StoreError::Internal { .. } => {
            tracing::error!(%err, "store fault");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}
