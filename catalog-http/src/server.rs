//! Serving the service with limits in time and number, so that no client,
//! hostile or unlucky, takes the service down for everyone else:
//!
//! - a **header read timeout** (hyper's own, with tokio's timer): a
//!   connection that does not finish a request head in time, or sits idle
//!   between keep-alive requests that long, is closed;
//! - a **maximum of open connections**, below the open-file limit (raised to
//!   its hard limit at start): a connection beyond it is closed at once, so
//!   accepting never fails with "Too many open files";
//! - the **listen backlog** as configured (tokio's default is 128);
//! - **load shedding**: at most `max_in_flight` requests run at once (tower's
//!   `ConcurrencyLimit` under `LoadShed`); one more is answered at once with
//!   a 503, `Retry-After` and the JSON error, never queued. `/healthz` and
//!   `/readyz` are never shed;
//! - a **total deadline** per request (tower's `Timeout`): a request still
//!   running at the deadline is answered with a 503.
//!
//! Connection errors caused by clients (hang-ups, header timeouts, malformed
//! requests) are logged at debug and counted by kind; only faults of the
//! service are logged as errors.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};
use warp::Filter;
use warp::http::{HeaderValue, Request, StatusCode, header};
use warp::reject::Rejection;

use crate::reply::Reply;
use crate::server_metrics::ServerMetrics;

/// The limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a connection may take to send a request head, and may sit
    /// idle between keep-alive requests (hyper starts the same timer when it
    /// waits for the next head).
    pub header_read_timeout: Duration,
    /// Most connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Length of the queue of connections the kernel completed and the
    /// service has not accepted yet (capped by `net.core.somaxconn`).
    pub listen_backlog: u32,
    /// Most requests running at once; one more is answered 503 at once.
    pub max_in_flight: usize,
    /// Longest a request may run before it is answered 503.
    pub request_deadline: Duration,
}

impl Default for ServerLimits {
    /// 10 s to send a head, 1,024 connections and a backlog of 1,024, 256
    /// requests in flight, 3 s a request.
    fn default() -> ServerLimits {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            listen_backlog: 1024,
            max_in_flight: 256,
            request_deadline: Duration::from_secs(3),
        }
    }
}

/// File descriptors kept free of connections for the store's connections,
/// files and the listener.
pub const RESERVED_FILE_DESCRIPTORS: u64 = 256;

/// Raises the soft open-file limit to the hard one and returns the most
/// connections that leaves room for (the limit less
/// [`RESERVED_FILE_DESCRIPTORS`], at least 16).
pub fn connections_allowed_by_open_file_limit() -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(%err, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    usize::try_from(limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(16)).unwrap_or(usize::MAX)
}

/// A listener on `address` with a listen backlog of `backlog`.
pub fn bind(address: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

/// A request path that is never shed: the health checks a load balancer
/// must always get an answer to.
pub(crate) fn never_shed(path: &str) -> bool {
    matches!(path.trim_end_matches('/'), "/healthz" | "/readyz")
}

type Incoming = Request<hyper::body::Incoming>;
type Response = warp::reply::Response;

/// The service of one connection's requests: `filter` behind the shedding
/// and deadline layers, with health checks beside them.
fn limited_service<F>(
    filter: F,
    limits: &ServerLimits,
    metrics: &ServerMetrics,
) -> BoxCloneSyncService<Incoming, Response, Infallible>
where
    F: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let plain = warp::service(filter);
    let deadline = limits.request_deadline;
    let metrics = metrics.clone();
    let limited = ServiceBuilder::new()
        .load_shed()
        .concurrency_limit(limits.max_in_flight)
        .timeout(deadline)
        .service(plain.clone());
    let service = tower::service_fn(move |request: Incoming| {
        let health = never_shed(request.uri().path());
        let plain = plain.clone();
        let limited = limited.clone();
        let metrics = metrics.clone();
        async move {
            if health {
                return plain.oneshot(request).await;
            }
            // Every error of the limits becomes its 503 here.
            Ok::<_, Infallible>(match limited.oneshot(request).await {
                Ok(response) => response,
                Err(err) => unavailable(&*err, deadline, &metrics),
            })
        }
    });
    BoxCloneSyncService::new(service)
}

/// The 503 of a request that was shed (`err` is tower's `Overloaded`) or
/// passed its deadline (`Elapsed`).
fn unavailable(
    err: &(dyn std::error::Error + Send + Sync + 'static),
    deadline: Duration,
    metrics: &ServerMetrics,
) -> Response {
    let (reason, message) = if err.is::<tower::load_shed::error::Overloaded>() {
        ("overload", "the service is overloaded; retry shortly".to_owned())
    } else if err.is::<tower::timeout::error::Elapsed>() {
        (
            "deadline",
            format!(
                "the request did not finish within {} ms; retry shortly",
                deadline.as_millis()
            ),
        )
    } else {
        tracing::error!(%err, "request failed inside the service");
        ("fault", "the request failed inside the service".to_owned())
    };
    metrics.shed(reason);
    let reply = Reply::error(StatusCode::SERVICE_UNAVAILABLE, &message)
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
    warp::Reply::into_response(reply)
}

/// Serves `filter` on `listener` within `limits` until `shutdown` completes,
/// then stops accepting, lets the connections finish their requests in
/// flight, and returns.
pub async fn serve_with_limits<F>(
    listener: TcpListener,
    filter: F,
    limits: ServerLimits,
    metrics: ServerMetrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    F: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let service = limited_service(filter, &limits, &metrics);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of descriptors or memory, or a connection reset while
                // queued: wait a moment rather than spin.
                metrics.accept_failed();
                tracing::warn!(%err, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            metrics.refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Set when the connection's first request head is read: hyper's
        // header timeout starts only once the protocol is known, which takes
        // the first bytes, so a connection that sends nothing is timed here.
        let requested = Arc::new(AtomicBool::new(false));
        let marker = Arc::clone(&requested);
        let service = service.clone().map_request(move |request: Incoming| {
            marker.store(true, Ordering::Relaxed);
            request
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let metrics = metrics.clone();
        let first_head_within = limits.header_read_timeout;
        tokio::spawn(async move {
            let _open = metrics.opened();
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => Some(ended),
                () = tokio::time::sleep(first_head_within) => None,
            };
            let ended = match ended {
                Some(ended) => ended,
                None if !requested.load(Ordering::Relaxed) => {
                    metrics.first_head_timed_out();
                    return;
                }
                None => connection.await,
            };
            if let Err(err) = ended {
                let err: &(dyn std::error::Error + 'static) = &*err;
                metrics.connection_failed(err);
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_health_checks_are_never_shed() {
        for path in ["/healthz", "/readyz", "/healthz/"] {
            assert!(never_shed(path), "{path}");
        }
        for path in ["/products", "/metrics", "/healthzz", "/products/1/styles"] {
            assert!(!never_shed(path), "{path}");
        }
    }
}
