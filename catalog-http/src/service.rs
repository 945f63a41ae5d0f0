//! The whole service: routes, health, CORS, JSON errors for everything else,
//! request logging, and serving with graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use catalog_core::CatalogStore;
use warp::filters::BoxedFilter;
use warp::filters::cors::CorsForbidden;
use warp::http::{HeaderValue, Method, StatusCode, header};
use warp::reject::{MethodNotAllowed, Rejection};
use warp::{Filter, Reply};

use crate::cache::ResponseCache;
use crate::http_cache::{self, CachePolicy};
use crate::metrics::{METRICS_CONTENT_TYPE, ServiceMetrics};
use crate::reply::{JsonResponse, json_bytes, json_error};
use crate::routes::{allowed, healthz, readyz, routes_with_cache};

/// Settings of the HTTP layer that do not depend on the store.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Origins allowed to call from a browser; empty means any (`*`).
    pub cors_origins: Vec<String>,
    /// How long browsers may cache a preflight answer.
    pub cors_max_age: Duration,
    /// Answers cache in front of the store; `None` asks the store every time.
    /// Keep a clone of the handle to invalidate entries when data changes.
    pub cache: Option<ResponseCache>,
    /// `Cache-Control` of successful answers, for browsers, CDNs and proxies.
    pub http_cache: CachePolicy,
}

impl Default for ServiceConfig {
    fn default() -> ServiceConfig {
        ServiceConfig {
            cors_origins: Vec::new(),
            cors_max_age: Duration::from_secs(600),
            cache: None,
            http_cache: CachePolicy::default(),
        }
    }
}

/// Request headers a browser may ask to send in a CORS preflight.
const CORS_HEADERS: [&str; 6] = [
    "accept",
    "accept-language",
    "content-type",
    "cache-control",
    "if-none-match",
    "if-modified-since",
];

/// The complete service over `store`: the four routes, `GET /healthz` (the
/// process is up), `GET /readyz` (the store is reachable), `GET /metrics`
/// (Prometheus: requests by route and status, latency, cache hits),
/// `GET /openapi.json` (the API's description), HTTP caching
/// (`ETag`, 304 answers to `If-None-Match`, `Cache-Control`), brotli and gzip
/// as `Accept-Encoding` asks, CORS, and a JSON
/// error for every request no route answers (404, 405, 403).
pub fn service(store: Arc<dyn CatalogStore>, config: &ServiceConfig) -> BoxedFilter<(warp::reply::Response,)> {
    let any_origin = config.cors_origins.is_empty();
    let mut cors = warp::cors()
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers(CORS_HEADERS)
        .max_age(config.cors_max_age);
    cors = if any_origin {
        cors.allow_any_origin()
    } else {
        cors.allow_origins(config.cors_origins.iter().map(String::as_str))
    };
    let metrics = Arc::new(ServiceMetrics::new(Arc::clone(&store), config.cache.clone()));
    let recorder = Arc::clone(&metrics);
    let log = warp::log::custom(move |info| {
        recorder.observe(info.path(), info.status().as_u16(), info.elapsed());
        let request_id = info
            .request_headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok());
        tracing::info!(
            method = %info.method(),
            path = info.path(),
            request_id,
            status = info.status().as_u16(),
            micros = info.elapsed().as_micros() as u64,
            "request"
        );
    });
    let cache_control = config.http_cache.cache_control();
    let answers = routes_with_cache(Arc::clone(&store), config.cache.clone())
        .or(healthz())
        .unify()
        .or(readyz(store))
        .unify()
        .or(metrics_route(metrics))
        .unify()
        .or(openapi_route())
        .unify()
        .recover(rejection_to_json)
        .unify();
    lenient_header("if-none-match")
        .and(lenient_header("accept-encoding"))
        .and(answers)
        .map(
            move |if_none_match: Option<String>, accept_encoding: Option<String>, response| {
                http_cache::apply(
                    &cache_control,
                    if_none_match.as_deref(),
                    accept_encoding.as_deref(),
                    response,
                )
            },
        )
        .with(cors)
        .map(Reply::into_response)
        .recover(|rejection| async { rejection_to_json(rejection).await.map(Reply::into_response) })
        .unify()
        .map(move |response| shareable_cors(response, any_origin))
        .with(log)
        .map(Reply::into_response)
        .boxed()
}

/// An optional request header as text; a value that is not visible ASCII
/// counts as absent rather than failing the request (these headers only
/// offer a cheaper answer, never change it).
fn lenient_header(name: &'static str) -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::header::optional::<String>(name).or_else(|_| async { Ok::<_, Infallible>((None,)) })
}

/// Makes CORS headers safe for shared caches (nginx, a CDN), which keep one
/// answer for every caller. warp echoes the caller's `Origin`, and sends no
/// `Access-Control-Allow-Origin` when there is none, so a cached copy would
/// carry one site's permission, or none, to every other site. With any origin
/// allowed every answer says `*`; with a list, the header depends on the
/// caller's `Origin`, which `Vary` then names.
fn shareable_cors(mut response: warp::reply::Response, any_origin: bool) -> warp::reply::Response {
    let headers = response.headers_mut();
    if any_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    } else {
        let vary = match headers.get(header::VARY).and_then(|value| value.to_str().ok()) {
            Some(existing) => HeaderValue::from_str(&format!("{existing}, origin")).ok(),
            None => Some(HeaderValue::from_static("origin")),
        };
        if let Some(vary) = vary {
            headers.insert(header::VARY, vary);
        }
    }
    response
}

/// `GET /metrics`: the service's metrics in the Prometheus text format.
fn metrics_route(metrics: Arc<ServiceMetrics>) -> BoxedFilter<(JsonResponse,)> {
    warp::path!("metrics")
        .and(warp::method())
        .map(move |method: Method| {
            if let Some(response) = allowed(&method) {
                return response;
            }
            let mut response = warp::http::Response::new(metrics.render().into());
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        })
        .boxed()
}

/// The OpenAPI 3.1 document of the service, kept in the repository and checked
/// against real answers by `tests/openapi.rs`.
pub const OPENAPI_JSON: &str = include_str!("../api/openapi.json");

/// `GET /openapi.json`: [`OPENAPI_JSON`].
fn openapi_route() -> BoxedFilter<(JsonResponse,)> {
    warp::path!("openapi.json")
        .and(warp::method())
        .map(|method: Method| {
            if let Some(response) = allowed(&method) {
                return response;
            }
            json_bytes(StatusCode::OK, OPENAPI_JSON.as_bytes())
        })
        .boxed()
}

/// Answers what no route took, in the contract's JSON error form.
async fn rejection_to_json(rejection: Rejection) -> Result<JsonResponse, Infallible> {
    let response = if rejection.is_not_found() {
        json_error(StatusCode::NOT_FOUND, "no such route; see GET /products")
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed; use GET or HEAD")
    } else if let Some(forbidden) = rejection.find::<CorsForbidden>() {
        json_error(StatusCode::FORBIDDEN, &forbidden.to_string())
    } else {
        tracing::warn!(?rejection, "unhandled rejection");
        json_error(StatusCode::BAD_REQUEST, "the request could not be understood")
    };
    Ok(response)
}

/// Serves `filter` on `listener` until `shutdown` completes, then finishes the
/// requests in flight and returns.
pub async fn serve<F>(listener: tokio::net::TcpListener, filter: F, shutdown: impl Future<Output = ()> + Send + 'static)
where
    F: Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    warp::serve(filter).incoming(listener).graceful(shutdown).run().await;
}
