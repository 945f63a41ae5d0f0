//! The in-memory [`CatalogStore`](catalog_core::CatalogStore): the embedded
//! default store and the test double of the catalog.
//!
//! [`MemStore::load`] imports a source directory through the shared import
//! rules of `catalog-source`; [`MemStoreBuilder`] accepts rows from any import.
//!
//! ```
//! use catalog_core::{CatalogStore, Page, ProductId};
//! use catalog_mem::MemStore;
//! use catalog_source::{generate, GenerateConfig, RejectRecord};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("catalog-mem-doc-{}", std::process::id()));
//! generate(&GenerateConfig { products: 50, seed: 1, dirty_rate: 0.0 }, &dir).unwrap();
//! let mut rejects: Vec<RejectRecord> = Vec::new();
//! let (store, report) = MemStore::load(&dir, &mut rejects).unwrap();
//! assert!(report.reconciles() && rejects.is_empty());
//!
//! let first = store.products(Page::default()).await.unwrap();
//! assert_eq!(first[0].id, 1);
//! let styles = store.styles(ProductId::new(1).unwrap()).await.unwrap();
//! assert_eq!(styles.product_id.get(), 1);
//! assert!(store.product(ProductId::new(999_999).unwrap()).await.is_err());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # });
//! ```

mod builder;
mod doc;
mod imported;
mod index;
mod journal;
mod live;
mod render;
mod store;
mod text;
mod url;
mod writer;

pub use builder::MemStoreBuilder;
pub use store::MemStore;
pub use text::TextTooLarge;
