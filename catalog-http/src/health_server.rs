//! The health checks on a listener of their own, served by a thread of their
//! own, for a load balancer to probe.
//!
//! On the main listener a health check waits its turn in the same run queue
//! as every connection with a request ready, so under overload it is as slow
//! as they are (docs/reliability.md). Here it is answered by a runtime that
//! does nothing else, so the probe sees whether the process is up (and, with
//! `/readyz`, whether its store answers), not how busy it is.

use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::thread::JoinHandle;

use warp::Filter;
use warp::filters::path::FullPath;
use warp::reject::Rejection;

use crate::server::{ServerLimits, never_shed, serve_with_limits};
use crate::server_metrics::ServerMetrics;

type Response = warp::reply::Response;

/// `filter` for `/healthz` and `/readyz` only; every other path is warp's 404.
fn health_checks_of<F>(
    filter: F,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static
where
    F: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    warp::path::full()
        .and_then(|path: FullPath| async move {
            if never_shed(path.as_str()) {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
        .and(filter)
}

/// Serves the health checks of `filter` on `listener` (already bound, non-blocking)
/// on a thread named `catalog-health` until `shutdown` completes.
pub fn spawn<F>(
    listener: TcpListener,
    filter: F,
    limits: ServerLimits,
    metrics: ServerMetrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<JoinHandle<()>>
where
    F: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new()
        .name("catalog-health".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        serve_with_limits(listener, health_checks_of(filter), limits, metrics, shutdown).await;
                    }
                    Err(err) => tracing::error!(%err, "cannot serve the health checks"),
                }
            });
        })
}
