//! What writes changed since the import: edited, deleted and created
//! products, each a whole [`ProductDoc`] replaced by copy-on-write, and where
//! the styles and SKUs that writes created live.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::doc::ProductDoc;
use crate::imported::Imported;

/// The changes over the imported catalog.
#[derive(Default)]
pub(crate) struct Live {
    /// Imported products that writes edited (`Some`) or deleted (`None`).
    pub(crate) edited: HashMap<i32, Option<Arc<ProductDoc>>>,
    /// Positions of deleted imported products, for paging.
    pub(crate) deleted_positions: RoaringBitmap,
    /// Products created by writes, in id order (after every imported id).
    pub(crate) created: BTreeMap<i32, Arc<ProductDoc>>,
    /// The product of each style created by a write.
    pub(crate) style_product: HashMap<i32, i32>,
    /// The style of each SKU created by a write.
    pub(crate) sku_style: HashMap<i32, i32>,
}

/// Where a product's current state is.
pub(crate) enum Found {
    /// As imported, at this position.
    Imported(usize),
    /// As a write left it.
    Doc(Arc<ProductDoc>),
}

impl Live {
    /// Product `id` now, or `None` when there is none.
    pub(crate) fn find(&self, imported: &Imported, id: i32) -> Option<Found> {
        match self.edited.get(&id) {
            Some(Some(doc)) => Some(Found::Doc(Arc::clone(doc))),
            Some(None) => None,
            None => match self.created.get(&id) {
                Some(doc) => Some(Found::Doc(Arc::clone(doc))),
                None => imported.position(id).map(Found::Imported),
            },
        }
    }

    /// Product `id` now as a document (built from the import when no write touched it).
    pub(crate) fn doc(&self, imported: &Imported, id: i32) -> Option<Arc<ProductDoc>> {
        match self.find(imported, id)? {
            Found::Doc(doc) => Some(doc),
            Found::Imported(position) => Some(Arc::new(imported.doc_at(position))),
        }
    }

    /// The product that style `id` belongs to, if the style was ever made
    /// (it may since have been deleted: check the product's document).
    pub(crate) fn style_product(&self, imported: &Imported, id: i32) -> Option<i32> {
        match self.style_product.get(&id) {
            Some(&product) => Some(product),
            None => imported
                .style_owner(id)
                .map(|(_, product)| imported.products[product].id),
        }
    }

    /// The style that SKU `id` belongs to, if the SKU was ever made.
    pub(crate) fn sku_style(&self, imported: &Imported, id: i32) -> Option<i32> {
        match self.sku_style.get(&id) {
            Some(&style) => Some(style),
            None => imported.sku_style(id).map(|style| imported.styles[style].id),
        }
    }

    /// The positions of imported products still there, from the `skip`-th on.
    pub(crate) fn imported_positions_from(&self, imported: &Imported, skip: u64) -> impl Iterator<Item = usize> + '_ {
        let total = imported.products.len() as u64;
        let first = self.nth_kept(skip, total);
        (first..total)
            .filter(move |&position| !self.deleted_positions.contains(position as u32))
            .map(|position| position as usize)
    }

    /// How many imported products are still there.
    pub(crate) fn kept_imported(&self, imported: &Imported) -> u64 {
        imported.products.len() as u64 - self.deleted_positions.len()
    }

    /// The position of the `n`-th (from 0) kept imported product, or `total`.
    fn nth_kept(&self, n: u64, total: u64) -> u64 {
        // Kept positions up to and including p: p + 1 - deleted(≤ p); find the
        // first p where that passes n.
        let (mut low, mut high) = (n.min(total), total);
        while low < high {
            let middle = low + (high - low) / 2;
            let kept = middle + 1 - self.deleted_positions.rank(middle as u32);
            if kept > n {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    }
}
