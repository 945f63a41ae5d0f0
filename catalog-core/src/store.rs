//! The storage abstraction every backend implements.

use async_trait::async_trait;

use crate::{InternalKind, Page, Product, ProductDetail, ProductId, ProductStyles, StoreError};

/// The four read queries of the catalog, answered by a storage backend.
///
/// Implementations are shared across request handlers as
/// `Arc<dyn CatalogStore>`, so they must be cheap to call concurrently. Every
/// method that takes a [`ProductId`] answers [`StoreError::ProductNotFound`]
/// when no such product exists.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// The products of `page`, in ascending id order; empty past the end.
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError>;

    /// One product with its features in ascending feature id order.
    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError>;

    /// The product's styles in ascending style id order, with photos and SKUs.
    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError>;

    /// The serialized body of `GET /products/:id/styles` (the contract's JSON, byte for byte);
    /// a store that keeps the answer pre-rendered returns its bytes without parsing them.
    /// The default serializes [`styles`](Self::styles).
    async fn styles_body(&self, id: ProductId) -> Result<Vec<u8>, StoreError> {
        let styles = self.styles(id).await?;
        serde_json::to_vec(&styles).map_err(|err| StoreError::internal(InternalKind::Encoding, err))
    }

    /// Ids of existing related products in ascending related-row order,
    /// without duplicates and without the product itself.
    async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError>;

    /// Whether the store can answer queries now, for readiness probes:
    /// `Err(StoreError::Unavailable)` when its backend cannot be reached. The
    /// default, for stores that live in the process, is always ready.
    async fn ready(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Which generation of the catalog the store serves: a number that
    /// changes whenever the whole catalog is replaced (a re-import), so a
    /// cache in front of the store knows when to empty itself. The default,
    /// for stores whose data never change while they serve, is `None`.
    async fn generation(&self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }

    /// How full each of the store's connection pools is, for metrics. The
    /// default, for stores without connections, is none.
    fn pool_status(&self) -> Vec<PoolStatus> {
        Vec::new()
    }
}

/// A snapshot of one connection pool of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    /// Which pool: `primary`, `replica-1`, ...
    pub name: String,
    /// Most connections the pool opens.
    pub max_size: usize,
    /// Connections open now, idle or in use.
    pub open: usize,
    /// Open connections waiting for a request.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
    /// Whether reads go to this pool now: false while a replica that could
    /// not be reached is left out.
    pub up: bool,
}
