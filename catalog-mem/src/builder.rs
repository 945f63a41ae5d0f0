//! Collects accepted import rows and arranges them into the store's indexes.

use catalog_source::{FeatureRow, PhotoRow, ProductRow, RelatedRow, RowSink, SinkError, SkuRow, StyleRow};

use crate::MemStore;
use crate::imported::{FeatureRec, Imported, PhotoRec, ProductRec, SkuRec, StyleRec};
use crate::index::{IdIndex, group_offsets};
use crate::text::{TextArena, TextRef};

/// A child row waiting to be grouped: its parent's id (then position), its own id.
struct Staged<T> {
    parent: i32,
    id: i32,
    record: T,
}

/// A [`RowSink`] that builds a [`MemStore`]: feed it an import, then call [`build`](Self::build).
///
/// Rows may arrive in any order; `build` sorts each table by parent and id.
#[derive(Default)]
pub struct MemStoreBuilder {
    text: TextArena,
    products: Vec<ProductRec>,
    features: Vec<Staged<FeatureRec>>,
    styles: Vec<Staged<StyleRec>>,
    photos: Vec<Staged<PhotoRec>>,
    skus: Vec<Staged<SkuRec>>,
    related: Vec<Staged<i32>>,
}

impl MemStoreBuilder {
    /// An empty builder.
    pub fn new() -> MemStoreBuilder {
        MemStoreBuilder::default()
    }

    /// Sorts and groups everything received into a queryable store.
    pub fn build(mut self) -> MemStore {
        self.text.freeze();
        self.products.sort_unstable_by_key(|product| product.id);
        let product_index = IdIndex::new(self.products.iter().map(|product| product.id));
        let product_count = self.products.len();
        let position = |index: &IdIndex, id: i32| index.get(id).unwrap_or(usize::MAX);

        let (feature_offsets, features) = group(self.features, product_count, |id| position(&product_index, id));
        let (style_offsets, styles) = group(self.styles, product_count, |id| position(&product_index, id));
        let style_index = IdIndex::new(styles.iter().map(|style| style.id));
        let (photo_offsets, photos) = group(self.photos, styles.len(), |id| position(&style_index, id));
        let (sku_offsets, skus) = group(self.skus, styles.len(), |id| position(&style_index, id));
        let sku_index = IdIndex::new(skus.iter().map(|sku| sku.id));
        let (mut related_offsets, mut related) = group(self.related, product_count, |id| position(&product_index, id));
        dedup_groups(&mut related_offsets, &mut related);

        MemStore::new(Imported {
            text: self.text,
            products: self.products,
            product_index,
            feature_offsets,
            features,
            style_offsets,
            styles,
            style_index,
            photo_offsets,
            photos,
            sku_offsets,
            skus,
            sku_index,
            related_offsets,
            related,
        })
    }
}

/// Sorts staged children by (parent position, id) and returns the group offsets
/// and the records. Children of unknown parents cannot occur (the import
/// rejects them) and would sort last, outside every group.
fn group<T>(mut staged: Vec<Staged<T>>, parents: usize, position: impl Fn(i32) -> usize) -> (Vec<u32>, Vec<T>) {
    for child in &mut staged {
        child.parent = i32::try_from(position(child.parent)).unwrap_or(i32::MAX);
    }
    staged.sort_unstable_by_key(|child| (child.parent, child.id));
    let known = staged.partition_point(|child| (child.parent as usize) < parents);
    staged.truncate(known);
    let offsets = group_offsets(parents, staged.iter().map(|child| child.parent as usize));
    (offsets, staged.into_iter().map(|child| child.record).collect())
}

/// Keeps the first occurrence of each value within every group.
fn dedup_groups(offsets: &mut [u32], values: &mut Vec<i32>) {
    let mut kept = 0usize;
    let mut start = 0usize;
    for group in 0..offsets.len() - 1 {
        let end = offsets[group + 1] as usize;
        let group_start = kept;
        for i in start..end {
            let value = values[i];
            if !values[group_start..kept].contains(&value) {
                values[kept] = value;
                kept += 1;
            }
        }
        start = end;
        offsets[group + 1] = kept as u32;
    }
    values.truncate(kept);
}

impl RowSink for MemStoreBuilder {
    fn product(&mut self, row: &ProductRow<'_>) -> Result<(), SinkError> {
        let text = &mut self.text;
        self.products.push(ProductRec {
            id: row.id,
            name: text.push(row.name)?,
            slogan: text.intern(row.slogan)?,
            description: text.push(row.description)?,
            category: text.intern(row.category)?,
            default_price: row.default_price,
        });
        Ok(())
    }

    fn feature(&mut self, row: &FeatureRow<'_>) -> Result<(), SinkError> {
        let value: Option<TextRef> = row.value.map(|value| self.text.intern(value)).transpose()?;
        let record = FeatureRec {
            feature: self.text.intern(row.feature)?,
            value,
        };
        self.features.push(Staged {
            parent: row.product_id,
            id: row.id,
            record,
        });
        Ok(())
    }

    fn style(&mut self, row: &StyleRow<'_>) -> Result<(), SinkError> {
        let record = StyleRec {
            id: row.id,
            name: self.text.intern(row.name)?,
            original_price: row.original_price,
            sale_price: row.sale_price,
            default: row.default_style,
        };
        self.styles.push(Staged {
            parent: row.product_id,
            id: row.id,
            record,
        });
        Ok(())
    }

    fn photo(&mut self, row: &PhotoRow<'_>) -> Result<(), SinkError> {
        let record = PhotoRec {
            url: self.text.push(row.url)?,
            thumbnail_url: self.text.push(row.thumbnail_url)?,
        };
        self.photos.push(Staged {
            parent: row.style_id,
            id: row.id,
            record,
        });
        Ok(())
    }

    fn sku(&mut self, row: &SkuRow<'_>) -> Result<(), SinkError> {
        let record = SkuRec {
            id: row.id,
            quantity: std::sync::atomic::AtomicI32::new(row.quantity),
            size: self.text.intern(row.size)?,
        };
        self.skus.push(Staged {
            parent: row.style_id,
            id: row.id,
            record,
        });
        Ok(())
    }

    fn related(&mut self, row: &RelatedRow) -> Result<(), SinkError> {
        self.related.push(Staged {
            parent: row.current_product_id,
            id: row.id,
            record: row.related_product_id,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keeps_first_occurrences_per_group() {
        let mut offsets = vec![0, 4, 4, 7];
        let mut values = vec![3, 2, 3, 8, 2, 2, 3];
        dedup_groups(&mut offsets, &mut values);
        assert_eq!(offsets, [0, 3, 3, 5]);
        assert_eq!(values, [3, 2, 8, 2, 3]);
    }
}
