//! Decoding the `product_styles` read model into [`Style`]s.
//!
//! Each row holds the `results` array of the product's styles answer as the
//! service sends it (the JSON of [`Style`]'s serde form, byte for byte), so
//! [`PgStore::styles_body`](crate::PgStore) returns it without parsing; only
//! the typed [`styles`](catalog_core::CatalogStore::styles) decodes it, here.
//! Prices are exact decimal strings, so nothing passes through floating point.

use std::collections::HashMap;

use catalog_core::{InternalKind, Photo, Price, Sku, Skus, StoreError, Style};
use serde::Deserialize;

/// One style as the read model stores it (the contract's form).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredStyle {
    style_id: i32,
    name: String,
    original_price: String,
    sale_price: Option<String>,
    #[serde(rename = "default?")]
    default: bool,
    /// `[{"thumbnail_url": null, "url": null}]` for a style without photos.
    photos: Vec<StoredPhoto>,
    /// Keyed by SKU id; `{"null": {"quantity": null, "size": null}}` for a
    /// style without SKUs.
    skus: HashMap<String, StoredSku>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPhoto {
    thumbnail_url: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSku {
    quantity: Option<i32>,
    size: Option<String>,
}

/// The styles of one `product_styles.results` document, in stored (style id) order.
pub(crate) fn decode(document: &str) -> Result<Vec<Style>, StoreError> {
    let stored: Vec<StoredStyle> = serde_json::from_str(document).map_err(malformed)?;
    stored.into_iter().map(style).collect()
}

fn style(stored: StoredStyle) -> Result<Style, StoreError> {
    let StoredStyle {
        style_id,
        name,
        original_price,
        sale_price,
        default,
        photos,
        skus,
    } = stored;
    Ok(Style {
        style_id,
        name,
        original_price: price(&original_price)?,
        sale_price: sale_price.as_deref().map(price).transpose()?,
        default,
        photos: photos
            .into_iter()
            // The placeholder is the one photo without URLs (real ones have both).
            .filter_map(|photo| {
                Some(Photo {
                    thumbnail_url: photo.thumbnail_url?,
                    url: photo.url?,
                })
            })
            .collect(),
        skus: Skus(sku_list(skus)?),
    })
}

/// The SKUs of a stored `skus` object in ascending id order (the stored
/// order), without the placeholder entry.
fn sku_list(skus: HashMap<String, StoredSku>) -> Result<Vec<Sku>, StoreError> {
    let mut list = Vec::with_capacity(skus.len());
    for (id, sku) in skus {
        let (Some(quantity), Some(size)) = (sku.quantity, sku.size) else {
            continue;
        };
        let id = id.parse().map_err(malformed)?;
        list.push(Sku { id, quantity, size });
    }
    list.sort_unstable_by_key(|sku| sku.id);
    Ok(list)
}

fn price(text: &str) -> Result<Price, StoreError> {
    text.parse().map_err(malformed)
}

fn malformed(err: impl std::fmt::Display) -> StoreError {
    StoreError::internal(
        InternalKind::MalformedData,
        format!("malformed product_styles document: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_document_as_the_import_writes_it() {
        let document = concat!(
            r#"[{"style_id":7,"name":"Forest \"Green\"","original_price":"140.00","sale_price":null,"default?":true,"#,
            r#""photos":[{"thumbnail_url":"t1","url":"u1"},{"thumbnail_url":"t2","url":"u2"}],"#,
            r#""skus":{"3":{"quantity":8,"size":"XS"},"10":{"quantity":0,"size":"S"}}},"#,
            r#"{"style_id":8,"name":"Desert","original_price":"19.90","sale_price":"9.00","default?":false,"#,
            r#""photos":[{"thumbnail_url":null,"url":null}],"skus":{"null":{"quantity":null,"size":null}}}]"#
        );
        let styles = decode(document).unwrap();
        assert_eq!(styles.len(), 2);
        assert_eq!((styles[0].style_id, styles[0].default), (7, true));
        assert_eq!(styles[0].name, "Forest \"Green\"");
        assert_eq!(styles[0].original_price, "140".parse().unwrap());
        assert_eq!(styles[0].sale_price, None);
        assert_eq!(styles[0].photos[1].url, "u2");
        let skus: Vec<(i32, &str)> = styles[0].skus.0.iter().map(|sku| (sku.id, sku.size.as_str())).collect();
        assert_eq!(skus, [(3, "XS"), (10, "S")]);
        assert_eq!(styles[1].sale_price, Some("9".parse().unwrap()));
        assert!(styles[1].photos.is_empty() && styles[1].skus.0.is_empty());
        assert_eq!(
            serde_json::to_string(&styles).unwrap(),
            document,
            "the same bytes again"
        );
        assert!(decode("[]").unwrap().is_empty());
    }

    #[test]
    fn refuses_a_malformed_document_as_an_internal_error() {
        let bad_price = r#"[{"style_id":1,"name":"n","original_price":"1.999","sale_price":null,"default?":true,"photos":[],"skus":{}}]"#;
        let bad_sku = r#"[{"style_id":1,"name":"n","original_price":"1.00","sale_price":null,"default?":true,"photos":[],"skus":{"x":{"quantity":1,"size":"S"}}}]"#;
        for document in ["", "{}", "[[1, \"n\"]]", bad_price, bad_sku] {
            assert!(
                matches!(
                    decode(document),
                    Err(StoreError::Internal {
                        kind: InternalKind::MalformedData,
                        ..
                    })
                ),
                "{document}"
            );
        }
    }
}
