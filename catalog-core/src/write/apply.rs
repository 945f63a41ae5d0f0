//! What every store does the same way when it applies a write: the changed
//! fields noted for the change log ([`Diff`]), a patch's fields applied, a
//! body's lists made domain values, a style's form in the log, and the
//! refusals any write may give.

use serde::Serialize;
use serde_json::{Value, json};

use super::{NewFeature, NewPhoto, Precondition, ProductPatch, Rejection, StylePatch};
use crate::{Feature, Photo, Product, Style, entity_tag};

/// The changed fields of a write, before and after, as its change-log entry
/// shows them.
#[derive(Debug, Default)]
pub struct Diff {
    before: serde_json::Map<String, Value>,
    after: serde_json::Map<String, Value>,
}

impl Diff {
    /// Sets `target` to `value`, noting the field when it changes.
    pub fn set<T: PartialEq + Serialize>(&mut self, field: &str, target: &mut T, value: T) {
        if *target != value {
            self.before.insert(field.to_owned(), json_of(target));
            self.after.insert(field.to_owned(), json_of(&value));
            *target = value;
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.after.is_empty()
    }

    /// The changed fields' values before and after.
    pub fn into_values(self) -> (Value, Value) {
        (Value::Object(self.before), Value::Object(self.after))
    }
}

/// `value` as JSON (`null` if it cannot be).
pub fn json_of<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The `ETag` of the contract's JSON of `value`: what a `GET` of it answers.
pub fn tag_of<T: Serialize>(value: &T) -> String {
    entity_tag(&serde_json::to_vec(value).unwrap_or_default())
}

/// A 404 naming the resource: `"{what} {id} not found"`.
pub fn not_found(what: &str, id: i32) -> Rejection {
    Rejection::NotFound(format!("{what} {id} not found"))
}

/// 412 unless `precondition` (if any) allows `current`, the resource's tag
/// now (only computed when there is a precondition).
pub fn check_precondition(
    precondition: Option<&Precondition>,
    current: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    match precondition {
        Some(precondition) if !precondition.allows(&current()) => Err(Rejection::PreconditionFailed),
        _ => Ok(()),
    }
}

/// A body's features as the catalog keeps them.
pub fn features(list: &[NewFeature]) -> Vec<Feature> {
    list.iter()
        .map(|feature| Feature {
            feature: feature.feature.0.clone(),
            value: feature.value.clone(),
        })
        .collect()
}

/// A body's photos as the catalog keeps them.
pub fn photos(list: &[NewPhoto]) -> Vec<Photo> {
    list.iter()
        .map(|photo| Photo {
            thumbnail_url: photo.thumbnail_url.0.clone(),
            url: photo.url.0.clone(),
        })
        .collect()
}

/// A style in the change log: its fields, its photos, and each SKU with its
/// id, size and quantity (the starting quantities the log reconciles from).
pub fn style_json(style: &Style) -> Value {
    json!({
        "name": style.name,
        "original_price": style.original_price,
        "sale_price": style.sale_price,
        "default?": style.default,
        "photos": style.photos.iter().map(|p| json!({"url": p.url, "thumbnail_url": p.thumbnail_url})).collect::<Vec<_>>(),
        "skus": style.skus.0.iter().map(|s| json!({"sku_id": s.id, "size": s.size, "quantity": s.quantity})).collect::<Vec<_>>(),
    })
}

impl ProductPatch {
    /// Applies the fields `GET /products` lists (name, slogan, description,
    /// category, default price) to `product`, noting each change in `diff`;
    /// `null` sets a text field to `""`. Returns whether any changed.
    pub fn apply_listed(&self, product: &mut Product, diff: &mut Diff) -> bool {
        let mut changed = Diff::default();
        if let Some(name) = &self.name {
            changed.set("name", &mut product.name, name.0.clone());
        }
        for (field, value, target) in [
            ("slogan", &self.slogan, &mut product.slogan),
            ("description", &self.description, &mut product.description),
            ("category", &self.category, &mut product.category),
        ] {
            if let Some(value) = value {
                changed.set(field, target, value.clone().unwrap_or_default());
            }
        }
        if let Some(price) = self.default_price {
            changed.set("default_price", &mut product.default_price, price.0);
        }
        let listed = !changed.is_empty();
        diff.before.append(&mut changed.before);
        diff.after.append(&mut changed.after);
        listed
    }

    /// The whole new list of features, if the patch sets it (`null`: none).
    pub fn new_features(&self) -> Option<Vec<Feature>> {
        self.features
            .as_ref()
            .map(|list| features(list.as_deref().unwrap_or(&[])))
    }
}

impl StylePatch {
    /// Applies the style's own fields (name, prices, `default?`) to `style`,
    /// noting each change in `diff`; `null` takes it off sale.
    pub fn apply_fields(&self, style: &mut Style, diff: &mut Diff) {
        if let Some(name) = &self.name {
            diff.set("name", &mut style.name, name.0.clone());
        }
        if let Some(price) = self.original_price {
            diff.set("original_price", &mut style.original_price, price.0);
        }
        if let Some(sale) = self.sale_price {
            diff.set("sale_price", &mut style.sale_price, sale.map(|price| price.0));
        }
        if let Some(default) = self.default {
            diff.set("default?", &mut style.default, default);
        }
    }

    /// The whole new list of photos, if the patch sets it (`null`: none).
    pub fn new_photos(&self) -> Option<Vec<Photo>> {
        self.photos.as_ref().map(|list| photos(list.as_deref().unwrap_or(&[])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Price;
    use crate::write::{NonEmpty, PriceText};

    fn product() -> Product {
        Product {
            id: 1,
            name: "Camo Onesie".into(),
            slogan: "Blend in".into(),
            description: String::new(),
            category: "Jackets".into(),
            default_price: Price::from_cents(14000).expect("a price"),
        }
    }

    #[test]
    fn a_patch_notes_only_what_it_changes() {
        let mut product = product();
        let patch = ProductPatch {
            name: Some(NonEmpty("Camo Onesie".into())),
            slogan: Some(None),
            default_price: Some(PriceText(Price::from_cents(9900).expect("a price"))),
            ..ProductPatch::default()
        };
        let mut diff = Diff::default();
        assert!(patch.apply_listed(&mut product, &mut diff));
        assert_eq!(product.slogan, "");
        let (before, after) = diff.into_values();
        assert_eq!(before, json!({"slogan": "Blend in", "default_price": "140.00"}));
        assert_eq!(after, json!({"slogan": "", "default_price": "99.00"}));
    }

    #[test]
    fn a_patch_that_changes_nothing_leaves_the_diff_empty() {
        let mut product = product();
        let patch = ProductPatch {
            category: Some(Some("Jackets".into())),
            ..ProductPatch::default()
        };
        let mut diff = Diff::default();
        assert!(!patch.apply_listed(&mut product, &mut diff));
        assert!(diff.is_empty());
        assert_eq!(patch.new_features(), None);
    }

    #[test]
    fn a_precondition_is_checked_only_when_given() {
        assert_eq!(check_precondition(None, || unreachable!()), Ok(()));
        assert_eq!(not_found("SKU", 7), Rejection::NotFound("SKU 7 not found".into()));
    }
}
