//! The loaded catalog and its answers to the four queries.

use std::path::Path;

use async_trait::async_trait;
use catalog_core::{
    CatalogStore, Feature, Page, Photo, Price, Product, ProductDetail, ProductId, ProductStyles, Sku, Skus, StoreError,
    Style,
};
use catalog_source::{ImportError, ImportReport, RejectSink};

use crate::MemStoreBuilder;
use crate::index::{IdIndex, children};
use crate::text::{TextArena, TextRef};

pub(crate) struct ProductRec {
    pub(crate) id: i32,
    pub(crate) name: TextRef,
    pub(crate) slogan: TextRef,
    pub(crate) description: TextRef,
    pub(crate) category: TextRef,
    pub(crate) default_price: Price,
}

pub(crate) struct FeatureRec {
    pub(crate) feature: TextRef,
    pub(crate) value: Option<TextRef>,
}

pub(crate) struct StyleRec {
    pub(crate) id: i32,
    pub(crate) name: TextRef,
    pub(crate) original_price: Price,
    pub(crate) sale_price: Option<Price>,
    pub(crate) default: bool,
}

pub(crate) struct PhotoRec {
    pub(crate) url: TextRef,
    pub(crate) thumbnail_url: TextRef,
}

pub(crate) struct SkuRec {
    pub(crate) id: i32,
    pub(crate) quantity: i32,
    pub(crate) size: TextRef,
}

/// An immutable, fully indexed catalog held in memory.
///
/// Every table is a flat vector sorted by (parent, id), with an offsets vector
/// per parent-child link, so each query is an id lookup plus contiguous reads;
/// all text lives in one arena. Deep pages cost the same as the first.
pub struct MemStore {
    pub(crate) text: TextArena,
    pub(crate) products: Vec<ProductRec>,
    pub(crate) product_index: IdIndex,
    pub(crate) feature_offsets: Vec<u32>,
    pub(crate) features: Vec<FeatureRec>,
    pub(crate) style_offsets: Vec<u32>,
    pub(crate) styles: Vec<StyleRec>,
    pub(crate) photo_offsets: Vec<u32>,
    pub(crate) photos: Vec<PhotoRec>,
    pub(crate) sku_offsets: Vec<u32>,
    pub(crate) skus: Vec<SkuRec>,
    pub(crate) related_offsets: Vec<u32>,
    pub(crate) related: Vec<i32>,
}

impl MemStore {
    /// Imports the six source files of `dir`, sending refused rows to `rejects`.
    pub fn load(dir: &Path, rejects: &mut dyn RejectSink) -> Result<(MemStore, ImportReport), ImportError> {
        let mut builder = MemStoreBuilder::new();
        let report = catalog_source::import(dir, &mut builder, rejects)?;
        Ok((builder.build(), report))
    }

    /// Number of products.
    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    /// The id of the product at `position` in id order, if any.
    pub fn product_id_at(&self, position: usize) -> Option<ProductId> {
        self.products
            .get(position)
            .and_then(|product| ProductId::new(product.id))
    }

    fn position(&self, id: ProductId) -> Result<usize, StoreError> {
        self.product_index
            .get(id.get())
            .ok_or(StoreError::ProductNotFound(id.get()))
    }

    fn text(&self, handle: TextRef) -> String {
        self.text.get(handle).to_owned()
    }

    fn product_at(&self, position: usize) -> Product {
        let product = &self.products[position];
        Product {
            id: product.id,
            name: self.text(product.name),
            slogan: self.text(product.slogan),
            description: self.text(product.description),
            category: self.text(product.category),
            default_price: product.default_price,
        }
    }

    fn style_at(&self, position: usize) -> Style {
        let style = &self.styles[position];
        let photos = self.photos[children(&self.photo_offsets, position)]
            .iter()
            .map(|photo| Photo {
                thumbnail_url: self.text(photo.thumbnail_url),
                url: self.text(photo.url),
            })
            .collect();
        let skus = self.skus[children(&self.sku_offsets, position)]
            .iter()
            .map(|sku| Sku {
                id: sku.id,
                quantity: sku.quantity,
                size: self.text(sku.size),
            })
            .collect();
        Style {
            style_id: style.id,
            name: self.text(style.name),
            original_price: style.original_price,
            sale_price: style.sale_price,
            default: style.default,
            photos,
            skus: Skus(skus),
        }
    }
}

#[async_trait]
impl CatalogStore for MemStore {
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError> {
        let start = usize::try_from(page.offset())
            .unwrap_or(usize::MAX)
            .min(self.products.len());
        let end = start.saturating_add(page.count() as usize).min(self.products.len());
        Ok((start..end).map(|position| self.product_at(position)).collect())
    }

    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        let position = self.position(id)?;
        let features = self.features[children(&self.feature_offsets, position)]
            .iter()
            .map(|feature| Feature {
                feature: self.text(feature.feature),
                value: feature.value.map(|v| self.text(v)),
            })
            .collect();
        Ok(ProductDetail::new(self.product_at(position), features))
    }

    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        let position = self.position(id)?;
        let results = children(&self.style_offsets, position)
            .map(|style| self.style_at(style))
            .collect();
        Ok(ProductStyles {
            product_id: id,
            results,
        })
    }

    async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError> {
        let position = self.position(id)?;
        Ok(self.related[children(&self.related_offsets, position)].to_vec())
    }
}
