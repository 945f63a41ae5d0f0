//! The application: the composition root that `main` and the tests share.
//!
//! [`App::build`] takes [`Settings`], opens the configured store (a generated
//! or loaded memory store, or PostgreSQL with its pools), makes the response
//! cache, builds the service and binds the listener; [`App::run_until_stopped`]
//! serves until SIGINT or SIGTERM, with the app's background tasks (the
//! catalog generation follower) running beside it and stopping with it. Only
//! with the `app` feature (on by default): an embedder of the routes alone
//! compiles none of this.
//!
//! ```no_run
//! use catalog_http::app::{App, AppError, Settings};
//!
//! # async fn run() -> Result<(), AppError> {
//! let settings = Settings {
//!     listen: "127.0.0.1:0".parse().expect("an address"),
//!     ..Settings::default()
//! };
//! let app = App::build(settings).await?;
//! println!("serving on port {}", app.port());
//! app.run_until_stopped().await
//! # }
//! ```

pub mod load;
pub mod progress;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog_auth::TokenRegistry;
use catalog_core::{CatalogStore, CatalogWriter};
use catalog_pg::{PgConfig, PgError, PgStore};
use catalog_source::ImportError;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::health_server;
use crate::store_runtime::{OnStoreRuntime, StoreRuntime, run_on};
use crate::{
    CacheConfig, CachePolicy, ResponseCache, ServerLimits, ServerMetrics, ServiceConfig, Writes, bind,
    connections_allowed_by_open_file_limit, follow_changes, follow_generations, serve_with_limits, service,
};

/// Where the served catalog comes from.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    /// A clean generated catalog in memory.
    Generated {
        /// Number of products.
        products: u32,
        /// Generator seed.
        seed: u64,
    },
    /// The six source files of `data`, loaded into memory; refused rows go to `rejects`.
    Directory {
        /// The source directory.
        data: PathBuf,
        /// Where refused rows are written (created only if there are any).
        rejects: PathBuf,
    },
    /// What `import` loaded into PostgreSQL.
    Postgres(PgConfig),
}

/// Everything [`App::build`] needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (port 0: any free port; see [`App::port`]).
    pub listen: SocketAddr,
    /// Where to serve `/healthz` and `/readyz` apart as well, on a thread of
    /// their own (see [`crate::health_server`]); `None`: on `listen` only.
    pub health_listen: Option<SocketAddr>,
    /// Which store serves the catalog.
    pub store: StoreSettings,
    /// The response cache in front of the store; `None` turns it off.
    pub cache: Option<CacheConfig>,
    /// How often to ask the store whether its catalog was replaced, to empty
    /// the response cache when it was; on PostgreSQL, how often to read the
    /// change log instead, for other instances' writes and imports alike,
    /// besides the reads its notifications wake ([`follow_changes`]). `None`
    /// does neither.
    pub generation_check: Option<Duration>,
    /// Browser origins allowed by CORS; empty means any.
    pub cors_origins: Vec<String>,
    /// How long browsers may cache a CORS preflight answer.
    pub cors_max_age: Duration,
    /// `Cache-Control` of successful answers.
    pub http_cache: CachePolicy,
    /// `Cache-Control` of successful answers that carry stock (styles, SKUs).
    pub stock_http_cache: CachePolicy,
    /// How long a connection may take to send a request head or sit idle.
    pub header_read_timeout: Duration,
    /// Most connections open at once; `None`: as many as the open-file limit
    /// (raised to its hard limit) leaves room for.
    pub max_connections: Option<usize>,
    /// The listen backlog.
    pub listen_backlog: u32,
    /// Most requests running at once before more are shed with a 503.
    pub max_in_flight: usize,
    /// Longest a request may run before it is answered 503.
    pub request_deadline: Duration,
    /// The tokens that may write (`token create` writes it); a missing file
    /// means no tokens, so every write is a 401.
    pub tokens_file: PathBuf,
    /// Worker threads of the PostgreSQL store's own runtime
    /// ([`StoreRuntime`]); 0 runs its queries on the service's runtime.
    pub store_threads: usize,
    /// Whether `GET /docs` serves the interactive API reference.
    pub docs: bool,
}

impl Default for Settings {
    /// The binary's defaults: a 10,000-product generated catalog on
    /// `127.0.0.1:3000`, a 64 MiB response cache, generations checked every second.
    fn default() -> Settings {
        let service = ServiceConfig::default();
        let limits = ServerLimits::default();
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            health_listen: None,
            store: StoreSettings::Generated {
                products: 10_000,
                seed: 1,
            },
            cache: Some(CacheConfig::default()),
            generation_check: Some(Duration::from_secs(1)),
            cors_origins: service.cors_origins,
            cors_max_age: service.cors_max_age,
            http_cache: service.http_cache,
            stock_http_cache: service.stock_http_cache,
            header_read_timeout: limits.header_read_timeout,
            max_connections: None,
            listen_backlog: limits.listen_backlog,
            max_in_flight: limits.max_in_flight,
            request_deadline: limits.request_deadline,
            tokens_file: PathBuf::from(DEFAULT_TOKENS_FILE),
            store_threads: DEFAULT_STORE_THREADS,
            docs: service.docs,
        }
    }
}

/// Worker threads of the PostgreSQL store's runtime unless the settings say otherwise.
pub const DEFAULT_STORE_THREADS: usize = 1;

/// Where the tokens are read from unless the settings say otherwise.
pub const DEFAULT_TOKENS_FILE: &str = "catalog-tokens";

/// How often a running app re-reads its tokens file (the contract allows 5 s).
pub const TOKENS_RELOAD_PERIOD: Duration = Duration::from_secs(1);

impl Settings {
    /// The server's limits, with the most connections derived from the
    /// open-file limit (raising it) unless the settings name a number.
    fn limits(&self) -> ServerLimits {
        ServerLimits {
            header_read_timeout: self.header_read_timeout,
            max_connections: self
                .max_connections
                .unwrap_or_else(connections_allowed_by_open_file_limit),
            listen_backlog: self.listen_backlog,
            max_in_flight: self.max_in_flight,
            request_deadline: self.request_deadline,
        }
    }
}

impl From<&Settings> for ServiceConfig {
    /// The service's part of the settings, without a cache (the app makes it).
    fn from(settings: &Settings) -> ServiceConfig {
        ServiceConfig {
            cors_origins: settings.cors_origins.clone(),
            cors_max_age: settings.cors_max_age,
            cache: None,
            http_cache: settings.http_cache,
            stock_http_cache: settings.stock_http_cache,
            server_metrics: ServerMetrics::new(),
            writes: None,
            docs: settings.docs,
        }
    }
}

/// Why the app could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The source files could not be loaded.
    #[error(transparent)]
    Load(#[from] ImportError),
    /// The rejects file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Rejects {
        /// The rejects file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The sample catalog could not be generated.
    #[error("cannot generate the sample catalog: {0}")]
    Generate(#[source] io::Error),
    /// The generator wrote rows the import refused (a generator bug).
    #[error("the generated catalog had {0} rejected rows")]
    GeneratedRejects(usize),
    /// PostgreSQL could not be reached or set up.
    #[error(transparent)]
    Pg(#[from] PgError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What failed.
        source: io::Error,
    },
    /// The signal handlers could not be registered.
    #[error("cannot listen for SIGINT or SIGTERM: {0}")]
    Signals(#[source] io::Error),
    /// The store's runtime could not be started.
    #[error("cannot start the store's runtime: {0}")]
    StoreRuntime(#[source] io::Error),
    /// The tokens file could not be read (or others can read it).
    #[error(transparent)]
    Tokens(#[from] catalog_auth::AuthError),
}

/// A built application: store open, listener bound, not yet serving.
pub struct App {
    listener: TcpListener,
    address: SocketAddr,
    store: Arc<dyn CatalogStore>,
    cache: Option<ResponseCache>,
    config: ServiceConfig,
    generation_check: Option<Duration>,
    limits: ServerLimits,
    tokens: Arc<TokenRegistry>,
    /// The PostgreSQL store, whose change log other instances write to.
    shared_store: Option<Arc<PgStore>>,
    /// The runtime the PostgreSQL store's queries run on (see [`StoreRuntime`]).
    store_runtime: Option<StoreRuntime>,
    /// The health checks' own listener, bound.
    health_listener: Option<std::net::TcpListener>,
}

impl App {
    /// Opens the store, makes the cache and binds the listener that `settings` name.
    pub async fn build(settings: Settings) -> Result<App, AppError> {
        let started = Instant::now();
        let tokens = Arc::new(TokenRegistry::open(&settings.tokens_file)?);
        let mut shared_store = None;
        let mut store_runtime = None;
        let (store, writer): (Arc<dyn CatalogStore>, Option<Arc<dyn CatalogWriter>>) = match &settings.store {
            StoreSettings::Generated { products, seed } => {
                let store = Arc::new(load::mem_generated(*products, *seed)?);
                (store.clone(), Some(store))
            }
            StoreSettings::Directory { data, rejects } => {
                let store = Arc::new(load::mem_from_dir(data, rejects)?);
                (store.clone(), Some(store))
            }
            StoreSettings::Postgres(config) if settings.store_threads == 0 => {
                let store = Arc::new(PgStore::connect(config).await?);
                shared_store = Some(Arc::clone(&store));
                (store.clone(), Some(store))
            }
            StoreSettings::Postgres(config) => {
                // Opened on the store's runtime, so its connections' tasks run there too.
                let runtime = StoreRuntime::new(settings.store_threads).map_err(AppError::StoreRuntime)?;
                let handle = runtime.handle();
                let config = config.clone();
                let opened = run_on(&handle, async move { PgStore::connect(&config).await })
                    .await
                    .expect("the runtime was just made, and is not shut down");
                let store = Arc::new(opened?);
                store_runtime = Some(runtime);
                shared_store = Some(Arc::clone(&store));
                let reads: Arc<dyn CatalogStore> = Arc::new(OnStoreRuntime::new(store.clone(), handle));
                (reads, Some(store))
            }
        };
        let writes = writer.map(|writer| Writes {
            writer,
            tokens: Arc::clone(&tokens),
        });
        tracing::info!(seconds = started.elapsed().as_secs_f64(), "catalog ready");
        let limits = settings.limits();
        let listener = bind(settings.listen, limits.listen_backlog).map_err(|source| AppError::Bind {
            address: settings.listen,
            source,
        })?;
        let address = listener.local_addr().map_err(|source| AppError::Bind {
            address: settings.listen,
            source,
        })?;
        let health_listener = match settings.health_listen {
            Some(address) => Some(
                bind(address, limits.listen_backlog)
                    .and_then(|listener| listener.into_std())
                    .map_err(|source| AppError::Bind { address, source })?,
            ),
            None => None,
        };
        let cache = settings.cache.map(ResponseCache::new);
        Ok(App {
            listener,
            address,
            store,
            config: ServiceConfig {
                cache: cache.clone(),
                writes,
                ..ServiceConfig::from(&settings)
            },
            tokens,
            cache,
            generation_check: settings.generation_check,
            limits,
            shared_store,
            store_runtime,
            health_listener,
        })
    }

    /// The port the app listens on.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address the app listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address the health checks are served on apart, if the settings asked for one.
    pub fn health_address(&self) -> Option<SocketAddr> {
        self.health_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The response cache, if the settings asked for one (a write path
    /// invalidates through it).
    pub fn cache(&self) -> Option<&ResponseCache> {
        self.cache.as_ref()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight
    /// and stops the background tasks. The handlers are registered before
    /// the app says it is serving, so a signal sent as soon as it does is
    /// never taken by the default handler (which would kill the process).
    pub async fn run_until_stopped(self) -> Result<(), AppError> {
        let stop = stop_signal().map_err(AppError::Signals)?;
        self.run_until(stop).await;
        Ok(())
    }

    /// Serves until `stop` completes, then finishes the requests in flight
    /// and stops the background tasks.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) {
        // The store's queries run there until the service has stopped.
        let _store_runtime = self.store_runtime;
        let mut background = JoinSet::new();
        if let (Some(cache), Some(period)) = (&self.cache, self.generation_check) {
            match &self.shared_store {
                // Other instances' writes and imports, from the change log
                // (an import's `catalog.imported` entry empties the cache).
                Some(store) => {
                    let wake = Arc::new(tokio::sync::Notify::new());
                    let listener = Arc::clone(store);
                    let notified = Arc::clone(&wake);
                    background.spawn(async move { listener.follow_notifications(notified).await });
                    let writer: Arc<dyn CatalogWriter> = Arc::clone(store) as Arc<dyn CatalogWriter>;
                    background.spawn(follow_changes(writer, cache.clone(), Some(wake), period));
                }
                None => {
                    background.spawn(follow_generations(Arc::clone(&self.store), cache.clone(), period));
                }
            }
        }
        background.spawn(reload_tokens(Arc::clone(&self.tokens), TOKENS_RELOAD_PERIOD));
        tracing::info!(
            address = %self.address,
            max_connections = self.limits.max_connections,
            max_in_flight = self.limits.max_in_flight,
            "serving the catalog"
        );
        let metrics = self.config.server_metrics.clone();
        let filter = service(self.store, &self.config);
        let (stop_health, health_stopping) = tokio::sync::watch::channel(false);
        let health = self.health_listener.and_then(|listener| {
            let mut stopping = health_stopping;
            let shutdown = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            health_server::spawn(listener, filter.clone(), self.limits, metrics.clone(), shutdown)
                .inspect_err(|err| tracing::error!(%err, "cannot serve the health checks apart"))
                .ok()
        });
        serve_with_limits(self.listener, filter, self.limits, metrics, stop).await;
        let _ = stop_health.send(true);
        if let Some(health) = health {
            let _ = tokio::task::spawn_blocking(move || health.join()).await;
        }
        background.shutdown().await;
        tracing::info!("stopped");
    }
}

/// Re-reads the tokens file every `period`, so a created or revoked token
/// takes effect without a restart. A file that cannot be read (or that
/// others can read) leaves no token valid until it is fixed: fail closed.
async fn reload_tokens(tokens: Arc<TokenRegistry>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        ticks.tick().await;
        match tokens.reload() {
            Ok(changed) => {
                if changed || failing {
                    tracing::info!(file = %tokens.path().display(), tokens = tokens.current().len(), "tokens loaded");
                }
                failing = false;
            }
            Err(err) => {
                if !failing {
                    tracing::error!(%err, "tokens file unusable: every write is refused until it is fixed");
                }
                failing = true;
            }
        }
    }
}

/// A future that completes on SIGINT or SIGTERM, with both handlers
/// registered now (tokio's `ctrl_c` would register only when first polled).
fn stop_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A SIGTERM that arrives after `stop_signal` returns and before its
    /// future is first polled is caught, not taken by the default handler
    /// (which would kill this test's process).
    #[tokio::test]
    async fn the_stop_signal_is_registered_before_it_is_polled() {
        let stop = stop_signal().expect("handlers registered");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(10), stop)
            .await
            .expect("the signal completes the future");
    }
}
