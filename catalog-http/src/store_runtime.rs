//! A bulkhead between the connections and a store that does I/O: the store's
//! queries, and its connections' own tasks, run on a runtime of their own.
//!
//! Under overload the service's runtime holds a task per connection with a
//! request ready, most of them to be shed. A query that waits in that run
//! queue at each step (send, the connection task reading the answer, the
//! request task resuming) takes a full round of it per step, so the requests
//! admitted hold their in-flight slots longer, and goodput falls by the same
//! factor (Little's law). On its own runtime a query's steps wait only
//! behind other queries.

use std::future::Future;
use std::io;
use std::sync::Arc;

use async_trait::async_trait;
use catalog_core::{
    CatalogStore, Page, PoolStatus, Product, ProductDetail, ProductId, ProductStyles, StoreError, UnavailableKind,
};
use tokio::runtime::{Handle, Runtime};

/// The store's runtime: worker threads named `catalog-store`; shut down
/// without waiting when dropped.
pub struct StoreRuntime {
    runtime: Option<Runtime>,
}

impl StoreRuntime {
    /// A runtime of `workers` threads (at least one).
    pub fn new(workers: usize) -> io::Result<StoreRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name("catalog-store")
            .enable_all()
            .build()?;
        Ok(StoreRuntime { runtime: Some(runtime) })
    }

    /// The handle that spawns on it.
    pub fn handle(&self) -> Handle {
        self.runtime
            .as_ref()
            .expect("the runtime lives until dropped")
            .handle()
            .clone()
    }
}

impl Drop for StoreRuntime {
    /// Drops the runtime without blocking (a runtime dropped inside another's
    /// task would panic otherwise); its tasks are cancelled.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Runs `work` on `handle`'s runtime and waits for its output; a panic there
/// is resumed here, and `None` means the runtime shut down first.
pub async fn run_on<T: Send + 'static>(handle: &Handle, work: impl Future<Output = T> + Send + 'static) -> Option<T> {
    match handle.spawn(work).await {
        Ok(output) => Some(output),
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Err(_) => None,
    }
}

/// [`run_on`] for a store query: a runtime shutting down is a 503.
pub async fn on<T: Send + 'static>(
    handle: &Handle,
    work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    run_on(handle, work).await.unwrap_or_else(|| {
        Err(StoreError::unavailable(
            UnavailableKind::Unreachable,
            "the service is stopping",
        ))
    })
}

/// A [`CatalogStore`] whose every query runs on the store's runtime.
pub struct OnStoreRuntime {
    store: Arc<dyn CatalogStore>,
    handle: Handle,
}

impl OnStoreRuntime {
    /// `store`, queried on `handle`'s runtime.
    pub fn new(store: Arc<dyn CatalogStore>, handle: Handle) -> OnStoreRuntime {
        OnStoreRuntime { store, handle }
    }
}

/// One delegated query: `$call` on a clone of the inner store, on the store's runtime.
macro_rules! delegate {
    ($self:ident, |$store:ident| $call:expr) => {{
        let $store = Arc::clone(&$self.store);
        on(&$self.handle, async move { $call.await }).await
    }};
}

#[async_trait]
impl CatalogStore for OnStoreRuntime {
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError> {
        delegate!(self, |store| store.products(page))
    }

    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        delegate!(self, |store| store.product(id))
    }

    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        delegate!(self, |store| store.styles(id))
    }

    async fn styles_body(&self, id: ProductId) -> Result<Vec<u8>, StoreError> {
        delegate!(self, |store| store.styles_body(id))
    }

    async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError> {
        delegate!(self, |store| store.related(id))
    }

    async fn ready(&self) -> Result<(), StoreError> {
        delegate!(self, |store| store.ready())
    }

    async fn generation(&self) -> Result<Option<i64>, StoreError> {
        delegate!(self, |store| store.generation())
    }

    fn pool_status(&self) -> Vec<PoolStatus> {
        self.store.pool_status()
    }
}
