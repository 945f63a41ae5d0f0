//! The whole service: routes, health, CORS, HTTP caching, JSON errors for
//! everything else, request ids, metrics and logging, and serving with
//! graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog_core::CatalogStore;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::filters::path::FullPath;
use warp::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use warp::reject::Rejection;

use crate::cache::ResponseCache;
use crate::cors::{Cors, CorsCheck};
use crate::docs;
use crate::http_cache::{self, CacheControls, CachePolicy};
use crate::metrics::{METRICS_CONTENT_TYPE, ServiceMetrics};
use crate::reply::{HttpResponse, Reply, no_such_route, unavailable};
use crate::request_id::{REQUEST_ID_HEADER, RequestId};
use crate::route_table::{self, Access, Matched, MethodOutcome, Route, UNMATCHED_LABEL};
use crate::routes::{self, raw_query};
use crate::server::{ServerLimits, serve_with_limits};
use crate::server_metrics::ServerMetrics;
use crate::writes::{self, WriteCall, Writes};
use futures_util::Stream;
use warp::Buf;

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
    /// `Cache-Control` of successful answers that carry stock (styles and
    /// SKUs), which every sale moves.
    pub stock_http_cache: CachePolicy,
    /// What the server's limits did, rendered by `/metrics`: pass the same
    /// handle to [`serve_with_limits`](crate::serve_with_limits).
    pub server_metrics: ServerMetrics,
    /// The store's write side and the tokens allowed to use it; `None`
    /// answers every write route with 501.
    pub writes: Option<Writes>,
    /// Whether `GET /docs` serves the interactive API reference; when
    /// `false`, `/docs` and everything under it are 404s.
    pub docs: bool,
}

impl Default for ServiceConfig {
    fn default() -> ServiceConfig {
        ServiceConfig {
            cors_origins: Vec::new(),
            cors_max_age: Duration::from_secs(600),
            cache: None,
            http_cache: CachePolicy::default(),
            stock_http_cache: CachePolicy::stock(),
            server_metrics: ServerMetrics::new(),
            writes: None,
            docs: true,
        }
    }
}

/// The complete service over `store`: the four routes, `GET /healthz` (the
/// process is up), `GET /readyz` (the store is reachable), `GET /metrics`
/// (Prometheus: requests by route and status, latency, cache hits),
/// `GET /openapi.json` (the API's description), `GET /docs` (the interactive
/// reference of it, unless [`ServiceConfig::docs`] is off), HTTP caching
/// (`ETag`, 304 answers to `If-None-Match`, `Cache-Control`), brotli and gzip
/// as `Accept-Encoding` asks, CORS, request ids, and a JSON error for every
/// request no route answers (404, 405, 403).
///
/// Each request goes one way: its path is looked up once in the
/// [route table](crate::route_table), CORS is checked against that route,
/// its handler gives a typed [`Reply`], the HTTP caching layer turns that
/// into a response, and the request is counted and logged under the route's
/// label with its request id. Nothing is rejected, so nothing is recovered.
pub fn service(store: Arc<dyn CatalogStore>, config: &ServiceConfig) -> BoxedFilter<(warp::reply::Response,)> {
    let service = Arc::new(Service {
        metrics: ServiceMetrics::new(Arc::clone(&store), config.cache.clone(), &config.server_metrics),
        store,
        cache: config.cache.clone(),
        cors: Cors::new(&config.cors_origins, config.cors_max_age),
        cache_controls: CacheControls::new(&config.http_cache, &config.stock_http_cache),
        writes: config.writes.clone(),
        docs: config.docs,
    });
    warp::method()
        .and(warp::path::full())
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            move |method: Method, path: FullPath, query: String, headers: HeaderMap, body| {
                let service = Arc::clone(&service);
                async move {
                    let request = Request {
                        method: &method,
                        path: path.as_str(),
                        query: &query,
                        headers: &headers,
                    };
                    warp::Reply::into_response(service.handle(request, body).await)
                }
            },
        )
        .boxed()
}

/// The head of one request.
#[derive(Clone, Copy)]
struct Request<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
}

/// What every request of one service shares.
struct Service {
    store: Arc<dyn CatalogStore>,
    cache: Option<ResponseCache>,
    metrics: ServiceMetrics,
    cors: Cors,
    cache_controls: CacheControls,
    writes: Option<Writes>,
    docs: bool,
}

impl Service {
    /// The whole answer to one request.
    async fn handle<S, B>(&self, request: Request<'_>, body: S) -> HttpResponse
    where
        S: Stream<Item = Result<B, warp::Error>>,
        B: Buf,
    {
        let Request {
            method, path, headers, ..
        } = request;
        let started = Instant::now();
        let request_id = RequestId::from_headers(headers);
        let matched = route_table::lookup(path).filter(|matched| self.docs || matched.spec.route != Route::Docs);
        let mut response = match self.cors.check(method, headers, matched) {
            CorsCheck::Preflight(reply) | CorsCheck::Forbidden(reply) => reply.into_http(),
            CorsCheck::Proceed => {
                let reply = match matched {
                    Some(matched) => self.route(request, matched, &request_id, body).await,
                    None => no_such_route(),
                };
                http_cache::finish(
                    reply,
                    &self.cache_controls,
                    lenient_header(headers, header::IF_NONE_MATCH),
                    lenient_header(headers, header::ACCEPT_ENCODING),
                )
            }
        };
        self.cors.decorate(&mut response, headers);
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER, request_id.header_value().clone());
        let label = matched.map_or(UNMATCHED_LABEL, |matched| matched.spec.label);
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        self.metrics.observe(label, status, elapsed);
        tracing::info!(
            method = %method,
            path,
            request_id = request_id.as_str(),
            status,
            micros = elapsed.as_micros() as u64,
            "request"
        );
        response
    }

    /// The reply of the route `matched` names to the request.
    async fn route<S, B>(&self, request: Request<'_>, matched: Matched<'_>, request_id: &RequestId, body: S) -> Reply
    where
        S: Stream<Item = Result<B, warp::Error>>,
        B: Buf,
    {
        let Request { method, query, .. } = request;
        match matched.spec.method(method) {
            MethodOutcome::Run(Access::Token) => {
                let call = WriteCall {
                    method,
                    matched,
                    path: request.path,
                    query,
                    headers: request.headers,
                    body,
                    request_id,
                };
                writes::handle(self.writes.as_ref(), self.cache.as_ref(), call).await
            }
            MethodOutcome::Options => routes::options(matched),
            MethodOutcome::NotAllowed => routes::method_not_allowed(matched, method),
            MethodOutcome::Run(Access::Public) => match matched.spec.route {
                Route::List | Route::Product | Route::Styles | Route::Related => {
                    routes::read(&*self.store, self.cache.as_ref(), matched, query).await
                }
                Route::Healthz => Reply::no_store(StatusCode::OK, &br#"{"status":"ok"}"#[..]),
                Route::Readyz => match self.store.ready().await {
                    Ok(()) => Reply::no_store(StatusCode::OK, &br#"{"status":"ready"}"#[..]),
                    Err(err) => {
                        tracing::warn!(%err, "not ready");
                        unavailable()
                    }
                },
                Route::Metrics => {
                    let ready = matches!(
                        tokio::time::timeout(SCRAPE_READY_CHECK, self.store.ready()).await,
                        Ok(Ok(()))
                    );
                    Reply::no_store(StatusCode::OK, self.metrics.render(ready)).with_content_type(METRICS_CONTENT_TYPE)
                }
                Route::OpenApi => Reply::no_store(StatusCode::OK, OPENAPI_JSON.as_bytes()),
                Route::Docs => docs::reply(request.path),
                Route::Sku => writes::sku(self.writes.as_ref(), matched).await,
                Route::Style
                | Route::StyleSkus
                | Route::SkuAdjustments
                | Route::Adjustments
                | Route::RelatedLink
                | Route::Changes => no_such_route(),
            },
        }
    }
}

/// An optional request header as text; a value that is not visible ASCII
/// counts as absent rather than failing the request (these headers only
/// offer a cheaper answer, never change it).
fn lenient_header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// How long a `/metrics` scrape waits for the store's readiness check before
/// it reports `catalog_store_ready 0`: well inside a scrape timeout.
const SCRAPE_READY_CHECK: Duration = Duration::from_secs(2);

/// The OpenAPI 3.1 document of the service, kept in the repository and checked
/// against real answers by `tests/openapi.rs`.
pub const OPENAPI_JSON: &str = include_str!("../api/openapi.json");

/// Serves `filter` on `listener` until `shutdown` completes, then finishes the
/// requests in flight and returns; within the default [`ServerLimits`] (with
/// no way to read what they did: use [`serve_with_limits`] for that).
pub async fn serve<F>(listener: tokio::net::TcpListener, filter: F, shutdown: impl Future<Output = ()> + Send + 'static)
where
    F: Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    serve_with_limits(
        listener,
        filter,
        ServerLimits::default(),
        ServerMetrics::new(),
        shutdown,
    )
    .await;
}
