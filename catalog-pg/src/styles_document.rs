//! Decoding the `product_styles` read model (see its migration) into [`Style`]s.
//!
//! Each style is stored as a compact JSON array,
//! `[style_id, name, original_price, sale_price, default, [[thumbnail_url, url], ...], [[sku_id, quantity, size], ...]]`,
//! with prices as exact decimal strings, so nothing passes through floating point.

use catalog_core::{InternalKind, Photo, Price, Sku, Skus, StoreError, Style};
use serde::Deserialize;

/// One style as the read model stores it.
#[derive(Deserialize)]
struct StoredStyle(
    i32,
    String,
    String,
    Option<String>,
    bool,
    Vec<(String, String)>,
    Vec<(i32, i32, String)>,
);

/// The styles of one `product_styles.styles` document, in stored (style id) order.
pub(crate) fn decode(document: &str) -> Result<Vec<Style>, StoreError> {
    let stored: Vec<StoredStyle> = serde_json::from_str(document).map_err(malformed)?;
    stored.into_iter().map(style).collect()
}

fn style(stored: StoredStyle) -> Result<Style, StoreError> {
    let StoredStyle(style_id, name, original_price, sale_price, default, photos, skus) = stored;
    Ok(Style {
        style_id,
        name,
        original_price: price(&original_price)?,
        sale_price: sale_price.as_deref().map(price).transpose()?,
        default,
        photos: photos
            .into_iter()
            .map(|(thumbnail_url, url)| Photo { thumbnail_url, url })
            .collect(),
        skus: Skus(
            skus.into_iter()
                .map(|(id, quantity, size)| Sku { id, quantity, size })
                .collect(),
        ),
    })
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
    fn decodes_a_document_as_the_migration_writes_it() {
        let document = r#"[[7, "Forest Green", "140.00", null, true, [["t1", "u1"], ["t2", "u2"]], [[3, 8, "XS"]]],
                           [8, "Desert", "19.90", "9.00", false, [], []]]"#;
        let styles = decode(document).unwrap();
        assert_eq!(styles.len(), 2);
        assert_eq!((styles[0].style_id, styles[0].default), (7, true));
        assert_eq!(styles[0].original_price, "140".parse().unwrap());
        assert_eq!(styles[0].sale_price, None);
        assert_eq!(styles[0].photos[1].url, "u2");
        assert_eq!(styles[0].skus.0[0].size, "XS");
        assert_eq!(styles[1].sale_price, Some("9".parse().unwrap()));
        assert!(styles[1].photos.is_empty() && styles[1].skus.0.is_empty());
        assert!(decode("[]").unwrap().is_empty());
    }

    #[test]
    fn refuses_a_malformed_document_as_an_internal_error() {
        for document in ["", "{}", r#"[[1, "n", "1.999", null, true, [], []]]"#, r#"[[1, "n"]]"#] {
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
