//! The styles read model of an import, built in Rust from the rows the reader
//! streams: each product's `product_styles.results` is its styles serialized
//! by `catalog_core`'s serde form, the very bytes the memory store and the
//! HTTP layer give, and the bytes `product_styles_render` gives the writes
//! (tests/styles_body_pg.rs compares them). Photos and SKUs wait in
//! temporary files ([`Spill`]) until every file has been read.

use std::io;

use catalog_core::{Photo, Price, Sku, Skus, Style};
use catalog_source::{PhotoRow, SkuRow, StyleRow};

use super::spill::Spill;

/// A style waiting for its photos and SKUs.
struct StagedStyle {
    product_id: i32,
    id: i32,
    name: String,
    original_price: Price,
    sale_price: Option<Price>,
    default: bool,
}

/// The styles, photos and SKUs of an import, collected until the documents
/// can be rendered.
pub(super) struct StylesModel {
    styles: Vec<StagedStyle>,
    photos: Spill,
    skus: Spill,
}

impl StylesModel {
    /// An empty model, with its two temporary files.
    pub(super) fn new() -> io::Result<StylesModel> {
        Ok(StylesModel {
            styles: Vec::new(),
            photos: Spill::new()?,
            skus: Spill::new()?,
        })
    }

    /// Keeps an accepted style.
    pub(super) fn style(&mut self, row: &StyleRow<'_>) {
        self.styles.push(StagedStyle {
            product_id: row.product_id,
            id: row.id,
            name: row.name.to_owned(),
            original_price: row.original_price,
            sale_price: row.sale_price,
            default: row.default_style,
        });
    }

    /// Parks an accepted photo.
    pub(super) fn photo(&mut self, row: &PhotoRow<'_>) -> io::Result<()> {
        self.photos.push(row.style_id, row.id, 0, &[row.thumbnail_url, row.url])
    }

    /// Parks an accepted SKU.
    pub(super) fn sku(&mut self, row: &SkuRow<'_>) -> io::Result<()> {
        self.skus.push(row.style_id, row.id, row.quantity, &[row.size])
    }

    /// Gathers the styles of every product of `products` (ascending ids),
    /// in that order, handing each product id with its styles to `each`,
    /// which serializes them.
    pub(super) fn render<E: From<io::Error>>(
        mut self,
        products: &[i32],
        mut each: impl FnMut(i32, &[Style]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.styles.sort_unstable_by_key(|style| (style.product_id, style.id));
        let mut photos = self.photos.into_sorted()?;
        let mut skus = self.skus.into_sorted()?;
        let mut styles = self.styles.into_iter().peekable();
        for &product_id in products {
            let mut results = Vec::new();
            // (A style of a product not listed, which the reader never
            // accepts, is passed over rather than left to block the rest.)
            while let Some(staged) = styles.next_if(|style| style.product_id <= product_id) {
                if staged.product_id != product_id {
                    continue;
                }
                let mut style = Style {
                    style_id: staged.id,
                    name: staged.name,
                    original_price: staged.original_price,
                    sale_price: staged.sale_price,
                    default: staged.default,
                    photos: Vec::new(),
                    skus: Skus::default(),
                };
                photos.for_style::<2>(staged.id, |_, _, [thumbnail_url, url]| {
                    style.photos.push(Photo { thumbnail_url, url })
                })?;
                skus.for_style::<1>(staged.id, |id, quantity, [size]| {
                    style.skus.0.push(Sku { id, quantity, size })
                })?;
                results.push(style);
            }
            each(product_id, &results)?;
        }
        Ok(())
    }
}
