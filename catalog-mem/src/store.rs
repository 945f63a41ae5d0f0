//! The memory store: the imported catalog, what writes changed since, and
//! its answers to the four queries.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use async_trait::async_trait;
use catalog_core::{CatalogStore, InternalKind, Page, Product, ProductDetail, ProductId, ProductStyles, StoreError};
use catalog_source::{ImportError, ImportReport, RejectSink};

use crate::MemStoreBuilder;
use crate::imported::Imported;
use crate::journal::Journal;
use crate::live::{Found, Live};

/// The in-memory catalog: imported once, then changed by writes.
///
/// The import stays as it was loaded, compact and immutable; a write copies
/// the one product it changes (with its features, styles, photos, SKUs and
/// links) into an overlay and swaps the copy in under a lock held only for
/// that swap, so reads never wait on a write being worked out. Writes run
/// one at a time (they take microseconds), which makes every write atomic,
/// every adjustment exact, and the change log's order the commit order.
/// Until the first write, reads skip the overlay altogether.
///
/// Writes, the change log and the idempotency records live in this
/// process only: they are lost when it stops.
pub struct MemStore {
    pub(crate) imported: Imported,
    pub(crate) live: RwLock<Live>,
    pub(crate) journal: Mutex<Journal>,
    /// Whether any write has changed the catalog (reads may skip `live` until then).
    pub(crate) edited: AtomicBool,
}

impl MemStore {
    /// A store serving `imported`, unchanged so far.
    pub(crate) fn new(imported: Imported) -> MemStore {
        let journal = Journal::new(imported.max_ids());
        MemStore {
            imported,
            live: RwLock::new(Live::default()),
            journal: Mutex::new(journal),
            edited: AtomicBool::new(false),
        }
    }

    /// Imports the six source files of `dir`, sending refused rows to `rejects`.
    pub fn load(dir: &Path, rejects: &mut dyn RejectSink) -> Result<(MemStore, ImportReport), ImportError> {
        let mut builder = MemStoreBuilder::new();
        let report = catalog_source::import(dir, &mut builder, rejects)?;
        Ok((builder.build(), report))
    }

    /// Number of products now.
    pub fn product_count(&self) -> usize {
        if !self.is_edited() {
            return self.imported.products.len();
        }
        let live = self.read_live();
        live.kept_imported(&self.imported) as usize + live.created.len()
    }

    /// The id of the product at `position` in id order, if any.
    pub fn product_id_at(&self, position: usize) -> Option<ProductId> {
        let page = Page::new(i32::try_from(position + 1).ok()?, 1).ok()?;
        let id = self.page(page).into_iter().next()?.id;
        ProductId::new(id)
    }

    pub(crate) fn is_edited(&self) -> bool {
        self.edited.load(Ordering::Acquire)
    }

    /// The overlay, for reading; a poisoned lock (a panic mid-swap, which
    /// cannot leave it half-changed: swaps are single inserts) is read as is.
    pub(crate) fn read_live(&self) -> RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn page(&self, page: Page) -> Vec<Product> {
        let count = page.count() as usize;
        if !self.is_edited() {
            let start = usize::try_from(page.offset())
                .unwrap_or(usize::MAX)
                .min(self.imported.products.len());
            let end = start.saturating_add(count).min(self.imported.products.len());
            return (start..end)
                .map(|position| self.imported.product_at(position))
                .collect();
        }
        let live = self.read_live();
        let kept = live.kept_imported(&self.imported);
        let imported = live
            .imported_positions_from(&self.imported, page.offset())
            .map(|position| {
                let id = self.imported.products[position].id;
                match live.edited.get(&id) {
                    Some(Some(doc)) => doc.product.clone(),
                    _ => self.imported.product_at(position),
                }
            });
        let created_skip = page.offset().saturating_sub(kept);
        let created = live
            .created
            .values()
            .skip(usize::try_from(created_skip).unwrap_or(usize::MAX))
            .map(|doc| doc.product.clone());
        imported.chain(created).take(count).collect()
    }

    fn found(&self, id: ProductId) -> Result<Found, StoreError> {
        let not_found = StoreError::ProductNotFound(id.get());
        if !self.is_edited() {
            return self.imported.position(id.get()).map(Found::Imported).ok_or(not_found);
        }
        self.read_live().find(&self.imported, id.get()).ok_or(not_found)
    }

    /// Whether product `id` exists now.
    pub(crate) fn exists(&self, live: &Live, id: i32) -> bool {
        live.find(&self.imported, id).is_some()
    }
}

#[async_trait]
impl CatalogStore for MemStore {
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError> {
        Ok(self.page(page))
    }

    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        Ok(match self.found(id)? {
            Found::Imported(position) => {
                ProductDetail::new(self.imported.product_at(position), self.imported.features_at(position))
            }
            Found::Doc(doc) => doc.detail(),
        })
    }

    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        let results = match self.found(id)? {
            Found::Imported(position) => self.imported.styles_at(position),
            Found::Doc(doc) => doc.styles.clone(),
        };
        Ok(ProductStyles {
            product_id: id,
            results,
        })
    }

    /// Serialized from the imported records without building the answer
    /// (products no write has touched), else from the write's document.
    async fn styles_body(&self, id: ProductId) -> Result<Vec<u8>, StoreError> {
        let body = match self.found(id)? {
            Found::Imported(position) => crate::render::styles_body(&self.imported, position),
            Found::Doc(doc) => serde_json::to_vec(&doc.styles_answer()),
        };
        body.map_err(|err| StoreError::internal(InternalKind::Encoding, err))
    }

    async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError> {
        let related = match self.found(id)? {
            Found::Imported(position) => self.imported.related_at(position).to_vec(),
            Found::Doc(doc) => doc.related.clone(),
        };
        if !self.is_edited() {
            return Ok(related);
        }
        // A deleted product leaves every related answer.
        let live = self.read_live();
        Ok(related.into_iter().filter(|&other| self.exists(&live, other)).collect())
    }
}
