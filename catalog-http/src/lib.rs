//! The catalog's HTTP layer on warp, usable as a library.
//!
//! - [`routes`] is the filter of the four contract routes over any
//!   `Arc<dyn CatalogStore>`: mount it in another warp service, under a prefix
//!   if you like, beside your own routes.
//! - [`service`] adds `GET /healthz`, `GET /readyz`, `GET /metrics`, HTTP caching (`ETag`,
//!   304s, `Cache-Control`), CORS and JSON errors for unmatched
//!   requests: the whole catalog service, as the `catalog-http` binary runs it.
//! - [`docs`] is `GET /docs`, the interactive API reference the service serves.
//! - [`serve`] runs a filter on a listener with graceful shutdown.
//! - [`follow_generations`] empties a [`ResponseCache`] when the store's
//!   catalog is replaced (a re-import), for a service that caches answers.
//! - [`route_table`] lists every path with its methods, access and metrics
//!   label; a new route is one more row there.
//! - With the `app` feature (the default), [`app::App`] is the whole
//!   application as the binary runs it: settings in, store opened, served
//!   until a signal. An embedder turns default features off and compiles no
//!   store, no diesel, no command line:
//!   `catalog-http = { version = "0.1", default-features = false }`.
//!
//! ```
//! use std::sync::Arc;
//! use catalog_core::CatalogStore;
//! use catalog_mem::MemStoreBuilder;
//! use warp::Filter;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store: Arc<dyn CatalogStore> = Arc::new(MemStoreBuilder::new().build());
//! let app = warp::path("catalog")
//!     .and(catalog_http::routes(store))
//!     .or(warp::path!("hello").map(|| "world"));
//! let response = warp::test::request().path("/catalog/products").reply(&app).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body(), "[]");
//! let response = warp::test::request().path("/catalog/products/0").reply(&app).await;
//! assert_eq!(response.status(), 400);
//! # });
//! ```

mod answer;
#[cfg(feature = "app")]
pub mod app;
mod cache;
mod compression;
mod cors;
pub mod docs;
mod follow;
mod generation;
pub mod health_server;
mod http_cache;
mod metrics;
mod reply;
mod request_id;
pub mod route_table;
mod routes;
mod server;
mod server_metrics;
mod service;
pub mod store_runtime;
pub mod surrogate;
pub mod writes;

pub use cache::{CacheConfig, CacheKey, CacheStats, Invalidation, ResponseCache};
pub use follow::follow_changes;
pub use generation::follow_generations;
pub use http_cache::CachePolicy;
pub use reply::{HttpResponse, JSON_CONTENT_TYPE, Reply};
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use routes::{routes, routes_with_cache};
pub use server::{
    RESERVED_FILE_DESCRIPTORS, ServerLimits, bind, connections_allowed_by_open_file_limit, serve_with_limits,
};
pub use server_metrics::ServerMetrics;
pub use service::{OPENAPI_JSON, ServiceConfig, serve, service};
pub use writes::Writes;
