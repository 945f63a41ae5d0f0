//! Collects accepted import rows and arranges them into the store's indexes.

use std::thread;

use catalog_source::{FeatureRow, PhotoRow, ProductRow, RelatedRow, RowSink, SinkError, SkuRow, StyleRow};

use crate::MemStore;
use crate::imported::{FeatureRec, Imported, PhotoRec, ProductRec, SkuRec, StyleRec};
use crate::index::{IdIndex, group_offsets};
use crate::text::{TextArena, TextRef};
use crate::url::UrlRef;

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

    /// Sorts and groups everything received into a queryable store, the
    /// independent tables on threads of their own.
    pub fn build(self) -> MemStore {
        let MemStoreBuilder {
            mut text,
            mut products,
            features,
            styles,
            photos,
            skus,
            related,
        } = self;
        text.freeze();
        products.sort_unstable_by_key(|product| product.id);
        let product_index = IdIndex::new(products.iter().map(|product| product.id));
        let mut imported = Imported {
            text,
            products,
            product_index,
            ..Imported::default()
        };
        let product_count = imported.products.len();
        let position = |index: &IdIndex, id: i32| index.get(id).unwrap_or(usize::MAX);
        let by_product = |id| position(&imported.product_index, id);

        thread::scope(|scope| {
            let features = scope.spawn(|| group(features, product_count, by_product));
            let related = scope.spawn(|| {
                let (mut offsets, mut related) = group(related, product_count, by_product);
                dedup_groups(&mut offsets, &mut related);
                (offsets, related)
            });
            (imported.style_offsets, imported.styles) = group(styles, product_count, by_product);
            imported.style_index = IdIndex::new(imported.styles.iter().map(|style| style.id));
            let style_count = imported.styles.len();
            let by_style = |id| position(&imported.style_index, id);
            thread::scope(|inner| {
                let photos = inner.spawn(|| group(photos, style_count, by_style));
                (imported.sku_offsets, imported.skus) = group(skus, style_count, by_style);
                (imported.photo_offsets, imported.photos) = joined(photos);
            });
            imported.sku_index = IdIndex::new(imported.skus.iter().map(|sku| sku.id));
            (imported.feature_offsets, imported.features) = joined(features);
            (imported.related_offsets, imported.related) = joined(related);
        });
        MemStore::new(imported)
    }
}

/// What a scoped thread returned, or its panic, resumed here.
fn joined<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
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
        // Neighbouring photos mostly share hosts and queries, and a
        // thumbnail its photo's own part: compare before hashing.
        let previous = self
            .photos
            .last()
            .map(|photo| (photo.record.url, photo.record.thumbnail_url));
        let (previous_url, previous_thumbnail) = previous.unzip();
        let url = UrlRef::store(&mut self.text, row.url, previous_url.as_slice())?;
        let thumbnail_like = [url, previous_thumbnail.unwrap_or(url)];
        let record = PhotoRec {
            thumbnail_url: UrlRef::store(&mut self.text, row.thumbnail_url, &thumbnail_like)?,
            url,
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
            size: self.text.word(row.size)?,
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
