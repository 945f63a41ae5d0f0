//! Reading styles answers the way storefronts written against the original
//! API do: `style.photos[0].thumbnail_url`, `style.photos[0].url`, and the
//! `quantity` and `size` of every value of `style.skus`, all without a guard.
//! A real React storefront unmounts its whole product page when one of those
//! reads throws, so an answer that would make one throw is a contract breach.

use reqwest::StatusCode;
use serde_json::Value;

use crate::App;
use crate::checks::get;

/// What reading one styles answer as a storefront does found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    /// Styles whose first photo is the all-null placeholder.
    placeholder_photos: usize,
    /// Styles whose `skus` is the one all-null `"null"` entry.
    placeholder_skus: usize,
}

/// Reads `style` as a storefront does; `Err` says which read would throw.
fn read_style(style: &Value, seen: &mut Seen) -> Result<(), String> {
    let photos = style.get("photos").and_then(Value::as_array).ok_or("no photos array")?;
    let first = photos
        .first()
        .and_then(Value::as_object)
        .ok_or("photos[0] is not an object")?;
    let thumbnail_url = first.get("thumbnail_url").ok_or("photos[0].thumbnail_url is absent")?;
    let url = first.get("url").ok_or("photos[0].url is absent")?;
    if thumbnail_url.is_null() || url.is_null() {
        if !(thumbnail_url.is_null() && url.is_null() && photos.len() == 1 && first.len() == 2) {
            return Err(format!("a null photo that is not the lone placeholder: {photos:?}"));
        }
        seen.placeholder_photos += 1;
    }
    let skus = style
        .get("skus")
        .and_then(Value::as_object)
        .ok_or("skus is not an object")?;
    if skus.is_empty() {
        return Err("skus has no entry to read".into());
    }
    for (key, sku) in skus {
        let sku = sku.as_object().ok_or_else(|| format!("skus[{key}] is not an object"))?;
        let quantity = sku
            .get("quantity")
            .ok_or_else(|| format!("skus[{key}].quantity is absent"))?;
        let size = sku.get("size").ok_or_else(|| format!("skus[{key}].size is absent"))?;
        if key == "null" {
            if !(quantity.is_null() && size.is_null() && skus.len() == 1 && sku.len() == 2) {
                return Err(format!("a \"null\" SKU that is not the lone placeholder: {skus:?}"));
            }
            seen.placeholder_skus += 1;
        } else if !(quantity.is_u64() && size.is_string()) {
            return Err(format!("skus[{key}] is not a real SKU: {sku:?}"));
        }
    }
    Ok(())
}

/// The styles answer of every product of the catalog, read as a storefront
/// reads it, throws nowhere; the catalog's styles without photos and without
/// SKUs are among them, so the placeholders are really read.
pub async fn styles_read_as_storefronts_do(app: &App) {
    let mut seen = Seen::default();
    for id in app.oracle.product_ids() {
        let path = format!("/products/{id}/styles");
        let answer = get(app, &path).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).unwrap_or_else(|err| panic!("GET {path}: {err}"));
        let styles = body["results"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no results"));
        for style in styles {
            if let Err(what) = read_style(style, &mut seen) {
                panic!("GET {path}: a storefront would throw: {what}; style {style}");
            }
        }
    }
    assert!(
        seen.placeholder_photos > 0,
        "the catalog should have styles without photos: {seen:?}"
    );
    assert!(
        seen.placeholder_skus > 0,
        "the catalog should have styles without SKUs: {seen:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(style: Value) -> Result<Seen, String> {
        let mut seen = Seen::default();
        read_style(&style, &mut seen).map(|()| seen)
    }

    #[test]
    fn the_old_empty_forms_would_throw() {
        let skus = json!({"1": {"quantity": 1, "size": "S"}});
        let photo = json!([{"thumbnail_url": "t", "url": "u"}]);
        assert!(read(json!({"photos": [], "skus": skus})).is_err());
        assert!(read(json!({"photos": photo, "skus": {}})).is_err());
        assert!(read(json!({"photos": [{"url": "u"}], "skus": skus})).is_err());
        assert!(read(json!({"photos": photo, "skus": {"1": {"size": "S"}}})).is_err());
    }

    #[test]
    fn placeholders_are_read_and_counted_but_never_mixed_with_real_entries() {
        let placeholder_photo = json!([{"thumbnail_url": null, "url": null}]);
        let placeholder_skus = json!({"null": {"quantity": null, "size": null}});
        let seen = read(json!({"photos": placeholder_photo, "skus": placeholder_skus})).unwrap();
        assert_eq!((seen.placeholder_photos, seen.placeholder_skus), (1, 1));
        let real_sku = json!({"1": {"quantity": 0, "size": "S"}});
        let mixed_photos = json!([{"thumbnail_url": null, "url": null}, {"thumbnail_url": "t", "url": "u"}]);
        assert!(read(json!({"photos": mixed_photos, "skus": real_sku})).is_err());
        let mixed_skus = json!({"1": {"quantity": 0, "size": "S"}, "null": {"quantity": null, "size": null}});
        assert!(read(json!({"photos": placeholder_photo, "skus": mixed_skus})).is_err());
    }
}
