//! One product with everything under it, as a write edits it: the unit of
//! copy-on-write in the memory store.

use catalog_core::write::tag_of;
use catalog_core::{Feature, Product, ProductDetail, ProductId, ProductStyles, Style};

/// A product, its features, its styles (with photos and SKUs) and its related ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductDoc {
    pub(crate) id: ProductId,
    pub(crate) product: Product,
    pub(crate) features: Vec<Feature>,
    pub(crate) styles: Vec<Style>,
    pub(crate) related: Vec<i32>,
}

impl ProductDoc {
    /// The product's `GET /products/:id` answer.
    pub(crate) fn detail(&self) -> ProductDetail {
        ProductDetail::new(self.product.clone(), self.features.clone())
    }

    /// The product's `GET /products/:id/styles` answer.
    pub(crate) fn styles_answer(&self) -> ProductStyles {
        ProductStyles {
            product_id: self.id,
            results: self.styles.clone(),
        }
    }

    /// The `ETag` of the product's `GET /products/:id` answer.
    pub(crate) fn detail_tag(&self) -> String {
        tag_of(&self.detail())
    }

    /// The `ETag` of the product's styles answer.
    pub(crate) fn styles_tag(&self) -> String {
        tag_of(&self.styles_answer())
    }

    /// The position of style `id` among the product's styles.
    pub(crate) fn style_position(&self, id: i32) -> Option<usize> {
        self.styles.iter().position(|style| style.style_id == id)
    }
}
