//! The catalog as imported: immutable, compact, and indexed for the four
//! queries and for finding a style's or a SKU's product.

use std::sync::atomic::{AtomicI32, Ordering};

use catalog_core::{Feature, Photo, Price, Product, ProductId, Sku, SkuDetail, Skus, Style};

use crate::doc::ProductDoc;

use crate::index::{IdIndex, children, parent_of};
use crate::text::{TextArena, TextRef, Word};
use crate::url::UrlRef;

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
    pub(crate) url: UrlRef,
    pub(crate) thumbnail_url: UrlRef,
}

pub(crate) struct SkuRec {
    pub(crate) id: i32,
    /// Units in stock: the one field a write changes in place (an
    /// adjustment of a SKU whose product no other write has copied), so a
    /// sale copies nothing and readers never wait.
    pub(crate) quantity: AtomicI32,
    pub(crate) size: Word,
}

/// Where an imported SKU is: its position and those of its style and product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SkuPlace {
    pub(crate) sku: usize,
    pub(crate) style: usize,
    pub(crate) product: usize,
}

/// An immutable, fully indexed catalog held in memory (but for SKU quantities).
///
/// Every table is a flat vector sorted by (parent, id), with an offsets vector
/// per parent-child link, so each query is an id lookup plus contiguous reads;
/// all text lives in one arena. Deep pages cost the same as the first.
#[derive(Default)]
pub(crate) struct Imported {
    pub(crate) text: TextArena,
    pub(crate) products: Vec<ProductRec>,
    pub(crate) product_index: IdIndex,
    pub(crate) feature_offsets: Vec<u32>,
    pub(crate) features: Vec<FeatureRec>,
    pub(crate) style_offsets: Vec<u32>,
    pub(crate) styles: Vec<StyleRec>,
    pub(crate) style_index: IdIndex,
    pub(crate) photo_offsets: Vec<u32>,
    pub(crate) photos: Vec<PhotoRec>,
    pub(crate) sku_offsets: Vec<u32>,
    pub(crate) skus: Vec<SkuRec>,
    pub(crate) sku_index: IdIndex,
    pub(crate) related_offsets: Vec<u32>,
    pub(crate) related: Vec<i32>,
}

impl Imported {
    /// The position of product `id`, if it was imported.
    pub(crate) fn position(&self, id: i32) -> Option<usize> {
        self.product_index.get(id)
    }

    /// The positions of style `id` and of its product, if it was imported.
    pub(crate) fn style_owner(&self, id: i32) -> Option<(usize, usize)> {
        let style = self.style_index.get(id)?;
        Some((style, parent_of(&self.style_offsets, style)))
    }

    /// The position of the style of SKU `id`, if it was imported.
    pub(crate) fn sku_style(&self, id: i32) -> Option<usize> {
        let sku = self.sku_index.get(id)?;
        Some(parent_of(&self.sku_offsets, sku))
    }

    /// The imported SKU with `id`: its position, and those of its style and product.
    pub(crate) fn sku_place(&self, id: i32) -> Option<SkuPlace> {
        let sku = self.sku_index.get(id)?;
        let style = parent_of(&self.sku_offsets, sku);
        let product = parent_of(&self.style_offsets, style);
        Some(SkuPlace { sku, style, product })
    }

    /// SKU `place` as `GET /skus/:id` answers it, with `quantity`.
    pub(crate) fn sku_detail(&self, place: SkuPlace, quantity: i32) -> SkuDetail {
        let sku = &self.skus[place.sku];
        SkuDetail {
            sku_id: sku.id,
            style_id: self.styles[place.style].id,
            product_id: self.products[place.product].id,
            size: self.text.word_text(sku.size).to_owned(),
            quantity,
        }
    }

    /// The largest product, style and SKU ids imported.
    pub(crate) fn max_ids(&self) -> (i32, i32, i32) {
        let max = |ids: &mut dyn Iterator<Item = i32>| ids.max().unwrap_or(0);
        (
            max(&mut self.products.iter().map(|p| p.id)),
            max(&mut self.styles.iter().map(|s| s.id)),
            max(&mut self.skus.iter().map(|s| s.id)),
        )
    }

    pub(crate) fn text(&self, handle: TextRef) -> String {
        self.text.get(handle).to_owned()
    }

    pub(crate) fn product_at(&self, position: usize) -> Product {
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

    pub(crate) fn style_at(&self, position: usize) -> Style {
        let style = &self.styles[position];
        let photos = self.photos[children(&self.photo_offsets, position)]
            .iter()
            .map(|photo| Photo {
                thumbnail_url: photo.thumbnail_url.text(&self.text),
                url: photo.url.text(&self.text),
            })
            .collect();
        let skus = self.skus[children(&self.sku_offsets, position)]
            .iter()
            .map(|sku| Sku {
                id: sku.id,
                quantity: sku.quantity.load(Ordering::Acquire),
                size: self.text.word_text(sku.size).to_owned(),
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

    /// The features of the product at `position`.
    pub(crate) fn features_at(&self, position: usize) -> Vec<Feature> {
        self.features[children(&self.feature_offsets, position)]
            .iter()
            .map(|feature| Feature {
                feature: self.text(feature.feature),
                value: feature.value.map(|v| self.text(v)),
            })
            .collect()
    }

    /// The styles of the product at `position`.
    pub(crate) fn styles_at(&self, position: usize) -> Vec<Style> {
        children(&self.style_offsets, position)
            .map(|style| self.style_at(style))
            .collect()
    }

    /// Everything of the product at `position`, as a document a write can edit.
    pub(crate) fn doc_at(&self, position: usize) -> ProductDoc {
        let product = self.product_at(position);
        ProductDoc {
            id: ProductId::new(product.id).unwrap_or(ProductId::MIN),
            features: self.features_at(position),
            styles: self.styles_at(position),
            related: self.related_at(position).to_vec(),
            product,
        }
    }

    /// The related ids of the product at `position`.
    pub(crate) fn related_at(&self, position: usize) -> &[i32] {
        &self.related[children(&self.related_offsets, position)]
    }
}
