//! The JSON bodies of the write routes, read strictly: unknown fields,
//! wrong types, empty names, JSON numbers for prices, relative photo URLs,
//! negative quantities and oversized lists are refused with the path of the
//! offending field, so a client learns exactly what to fix.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::{Price, SkuId};

/// Most features, photos or SKUs one body may list.
pub const MAX_LIST_LEN: usize = 100;
/// Most characters of an adjustment's `reason`.
pub const MAX_REASON_CHARS: usize = 200;
/// Most adjustments in one batch.
pub const MAX_BATCH_LEN: usize = 100;

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is not JSON at all (the HTTP layer's 400).
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// Well-formed JSON that breaks a rule of the route (the HTTP layer's 422).
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field's path, such as `features[2].value`, or `body`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl BodyError {
    /// A rule broken by `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> BodyError {
        BodyError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A body that checks its own rules once serde has read its shape.
pub trait Body: DeserializeOwned {
    /// The rules serde cannot say (list lengths, distinct ids).
    fn check(&self) -> Result<(), BodyError> {
        Ok(())
    }
}

/// Reads `bytes` as the body `B`, naming the offending field on a refusal.
pub fn parse<B: Body>(bytes: &[u8]) -> Result<B, BodyError> {
    // serde reads a struct from a JSON array too; a body is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(BodyError::invalid("body", "must be a JSON object")),
            Err(err) => Err(BodyError::NotJson(err.to_string())),
        };
    }
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let body: B = serde_path_to_error::deserialize(&mut reader).map_err(|err| {
        let field = match err.path().to_string() {
            path if path == "." => "body".to_owned(),
            path => path,
        };
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            BodyError::NotJson(inner.to_string())
        } else {
            BodyError::Invalid {
                field,
                message: strip_position(&inner.to_string()),
            }
        }
    })?;
    reader.end().map_err(|err| BodyError::NotJson(err.to_string()))?;
    body.check()?;
    Ok(body)
}

/// serde_json's message without its ` at line L column C` suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A name or label that must not be empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NonEmpty(pub String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NonEmpty, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim().is_empty() {
            return Err(de::Error::custom("must not be empty"));
        }
        Ok(NonEmpty(text))
    }
}

/// A price written as a JSON string holding an exact decimal (`"19.90"`); a
/// JSON number is refused, so no binary floating point enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PriceText(pub Price);

impl<'de> Deserialize<'de> for PriceText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PriceText, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = PriceText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a JSON string holding a non-negative decimal with at most two fraction digits, such as \"19.90\"",
                )
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<PriceText, E> {
                text.parse::<Price>()
                    .map(PriceText)
                    .map_err(|err| E::custom(format!("\"{text}\" {err}")))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// An absolute `http` or `https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(pub String);

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HttpUrl, D::Error> {
        let text = String::deserialize(deserializer)?;
        match url::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(HttpUrl(text)),
            _ => Err(de::Error::custom("must be an absolute http or https URL")),
        }
    }
}

/// A stock quantity: 0 to 2,147,483,647.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Quantity(pub i32);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        let value = i64::deserialize(deserializer)?;
        match i32::try_from(value) {
            Ok(quantity) if quantity >= 0 => Ok(Quantity(quantity)),
            _ => Err(de::Error::custom(format!(
                "must be an integer from 0 to {}, got {value}",
                i32::MAX
            ))),
        }
    }
}

/// A change of stock: a non-zero integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Delta(pub i32);

impl<'de> Deserialize<'de> for Delta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Delta, D::Error> {
        let value = i64::deserialize(deserializer)?;
        match i32::try_from(value) {
            Ok(delta) if delta != 0 => Ok(Delta(delta)),
            Ok(_) => Err(de::Error::custom("must not be 0")),
            Err(_) => Err(de::Error::custom(format!("{value} is out of range"))),
        }
    }
}

/// Why stock moved: at most [`MAX_REASON_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Reason(pub String);

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Reason, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > MAX_REASON_CHARS {
            return Err(de::Error::custom(format!(
                "must be at most {MAX_REASON_CHARS} characters"
            )));
        }
        Ok(Reason(text))
    }
}

/// A field of a merge patch: absent (`None`), `null` (`Some(None)`) or a value.
fn patch_field<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A field of a merge patch that must not be `null` (a required field).
fn required_patch_field<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(de::Error::custom("is required and cannot be null")),
    }
}

fn check_len<T>(field: &str, list: &[T]) -> Result<(), BodyError> {
    if list.len() > MAX_LIST_LEN {
        return Err(BodyError::invalid(
            field,
            format!("lists {} entries; at most {MAX_LIST_LEN} are allowed", list.len()),
        ));
    }
    Ok(())
}

/// One feature of a product in a body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewFeature {
    /// The feature's name.
    pub feature: NonEmpty,
    /// Its value; `null` or absent for none.
    #[serde(default)]
    pub value: Option<String>,
}

/// The body of `POST /products`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Display name.
    pub name: NonEmpty,
    /// Marketing slogan.
    #[serde(default)]
    pub slogan: String,
    /// Long description.
    #[serde(default)]
    pub description: String,
    /// Category name.
    #[serde(default)]
    pub category: String,
    /// Price before any style's sale.
    pub default_price: PriceText,
    /// Features, in the order to keep.
    #[serde(default)]
    pub features: Vec<NewFeature>,
}

impl Body for NewProduct {
    fn check(&self) -> Result<(), BodyError> {
        check_len("features", &self.features)
    }
}

/// The body of `PATCH /products/:id`: a JSON merge patch of the product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// A new name.
    #[serde(default, deserialize_with = "required_patch_field")]
    pub name: Option<NonEmpty>,
    /// A new slogan; `null` sets `""`.
    #[serde(default, deserialize_with = "patch_field")]
    pub slogan: Option<Option<String>>,
    /// A new description; `null` sets `""`.
    #[serde(default, deserialize_with = "patch_field")]
    pub description: Option<Option<String>>,
    /// A new category; `null` sets `""`.
    #[serde(default, deserialize_with = "patch_field")]
    pub category: Option<Option<String>>,
    /// A new default price.
    #[serde(default, deserialize_with = "required_patch_field")]
    pub default_price: Option<PriceText>,
    /// The whole new list of features; `null` empties it.
    #[serde(default, deserialize_with = "patch_field")]
    pub features: Option<Option<Vec<NewFeature>>>,
}

impl Body for ProductPatch {
    fn check(&self) -> Result<(), BodyError> {
        check_len(
            "features",
            self.features.as_ref().and_then(|list| list.as_deref()).unwrap_or(&[]),
        )
    }
}

/// One photo of a style in a body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewPhoto {
    /// Full-size image URL.
    pub url: HttpUrl,
    /// Thumbnail image URL.
    pub thumbnail_url: HttpUrl,
}

/// One SKU in a body: `POST /styles/:id/skus`, or a style's `skus`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSku {
    /// Size label.
    pub size: NonEmpty,
    /// Units in stock; 0 when absent.
    #[serde(default)]
    pub quantity: Quantity,
}

impl Body for NewSku {}

/// The body of `POST /products/:id/styles`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStyle {
    /// Display name.
    pub name: NonEmpty,
    /// Regular price.
    pub original_price: PriceText,
    /// Sale price; `null` or absent when not on sale.
    #[serde(default)]
    pub sale_price: Option<PriceText>,
    /// Whether it is the product's default style.
    #[serde(rename = "default?", default)]
    pub default: bool,
    /// Photos, in the order their ids are given.
    #[serde(default)]
    pub photos: Vec<NewPhoto>,
    /// SKUs, in the order their ids are given.
    #[serde(default)]
    pub skus: Vec<NewSku>,
}

impl Body for NewStyle {
    fn check(&self) -> Result<(), BodyError> {
        check_len("photos", &self.photos)?;
        check_len("skus", &self.skus)
    }
}

/// The body of `PATCH /styles/:style_id`: a JSON merge patch of the style.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StylePatch {
    /// A new name.
    #[serde(default, deserialize_with = "required_patch_field")]
    pub name: Option<NonEmpty>,
    /// A new regular price.
    #[serde(default, deserialize_with = "required_patch_field")]
    pub original_price: Option<PriceText>,
    /// A new sale price; `null` takes the style off sale.
    #[serde(default, deserialize_with = "patch_field")]
    pub sale_price: Option<Option<PriceText>>,
    /// Whether it is the default style.
    #[serde(rename = "default?", default, deserialize_with = "required_patch_field")]
    pub default: Option<bool>,
    /// The whole new list of photos; `null` empties it.
    #[serde(default, deserialize_with = "patch_field")]
    pub photos: Option<Option<Vec<NewPhoto>>>,
}

impl Body for StylePatch {
    fn check(&self) -> Result<(), BodyError> {
        check_len(
            "photos",
            self.photos.as_ref().and_then(|list| list.as_deref()).unwrap_or(&[]),
        )
    }
}

/// The body of `PATCH /skus/:sku_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuPatch {
    /// A new size label (scope `catalog:write`).
    #[serde(default, deserialize_with = "required_patch_field")]
    pub size: Option<NonEmpty>,
    /// A new absolute quantity (scope `inventory:write`; needs `If-Match`).
    #[serde(default, deserialize_with = "required_patch_field")]
    pub quantity: Option<Quantity>,
}

impl Body for SkuPatch {
    fn check(&self) -> Result<(), BodyError> {
        if self.size.is_none() && self.quantity.is_none() {
            return Err(BodyError::invalid("body", "give size, quantity or both"));
        }
        Ok(())
    }
}

/// The body of `POST /skus/:sku_id/adjustments`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// How much stock moves: negative for a sale, positive for a restock.
    pub delta: Delta,
    /// Why, for the change log.
    #[serde(default)]
    pub reason: Option<Reason>,
}

impl Body for Adjustment {}

/// One SKU's move in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    /// The SKU.
    pub sku_id: BodySkuId,
    /// How much its stock moves.
    pub delta: Delta,
}

/// A SKU id in a body: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodySkuId(pub SkuId);

impl<'de> Deserialize<'de> for BodySkuId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BodySkuId, D::Error> {
        let value = i64::deserialize(deserializer)?;
        i32::try_from(value)
            .ok()
            .and_then(SkuId::new)
            .map(BodySkuId)
            .ok_or_else(|| de::Error::custom(format!("must be a SKU id from 1 to {}, got {value}", i32::MAX)))
    }
}

/// The body of `POST /adjustments`: several SKUs' moves, all or none.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// 1 to 100 moves, each SKU at most once.
    pub adjustments: Vec<BatchItem>,
    /// Why, for the change log.
    #[serde(default)]
    pub reason: Option<Reason>,
}

impl Body for Batch {
    fn check(&self) -> Result<(), BodyError> {
        if self.adjustments.is_empty() || self.adjustments.len() > MAX_BATCH_LEN {
            return Err(BodyError::invalid(
                "adjustments",
                format!(
                    "must list 1 to {MAX_BATCH_LEN} adjustments, got {}",
                    self.adjustments.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (index, item) in self.adjustments.iter().enumerate() {
            if !seen.insert(item.sku_id) {
                return Err(BodyError::invalid(
                    format!("adjustments[{index}].sku_id"),
                    format!("SKU {} is listed more than once", item.sku_id.0),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_field<B: Body + std::fmt::Debug>(json: &str) -> String {
        match parse::<B>(json.as_bytes()) {
            Err(BodyError::Invalid { field, .. }) => field,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn a_new_product_takes_its_defaults_and_keeps_prices_exact() {
        let product: NewProduct = parse(br#"{"name":"Cap","default_price":"19.9"}"#).unwrap();
        assert_eq!(product.default_price.0.cents(), 1990);
        assert_eq!((product.slogan.as_str(), product.features.len()), ("", 0));
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(invalid_field::<NewProduct>(r#"{"default_price":"1"}"#), "body");
        assert_eq!(
            invalid_field::<NewProduct>(r#"{"name":"","default_price":"1"}"#),
            "name"
        );
        assert_eq!(
            invalid_field::<NewProduct>(r#"{"name":"a","default_price":1}"#),
            "default_price"
        );
        assert_eq!(
            invalid_field::<NewProduct>(r#"{"name":"a","default_price":"1.234"}"#),
            "default_price"
        );
        assert_eq!(
            invalid_field::<NewProduct>(r#"{"name":"a","default_price":"1","x":1}"#),
            "x"
        );
        assert_eq!(
            invalid_field::<NewProduct>(r#"{"name":"a","default_price":"1","features":[{"feature":"f","value":3}]}"#),
            "features[0].value"
        );
        assert_eq!(
            invalid_field::<NewStyle>(
                r#"{"name":"a","original_price":"1","photos":[{"url":"/x","thumbnail_url":"http://h/t"}]}"#
            ),
            "photos[0].url"
        );
        assert_eq!(invalid_field::<NewSku>(r#"{"size":"M","quantity":-1}"#), "quantity");
        assert_eq!(
            invalid_field::<NewSku>(r#"{"size":"M","quantity":2147483648}"#),
            "quantity"
        );
        assert_eq!(invalid_field::<Adjustment>(r#"{"delta":0}"#), "delta");
        assert_eq!(
            invalid_field::<Adjustment>(&format!(r#"{{"delta":1,"reason":"{}"}}"#, "r".repeat(201))),
            "reason"
        );
        assert_eq!(invalid_field::<ProductPatch>(r#"{"name":null}"#), "name");
        assert_eq!(invalid_field::<SkuPatch>(r#"{}"#), "body");
        assert_eq!(invalid_field::<Batch>(r#"{"adjustments":[]}"#), "adjustments");
        assert_eq!(
            invalid_field::<Batch>(r#"{"adjustments":[{"sku_id":1,"delta":1},{"sku_id":1,"delta":2}]}"#),
            "adjustments[1].sku_id"
        );
        let many = format!(
            r#"{{"name":"a","default_price":"1","features":[{}]}}"#,
            vec![r#"{"feature":"f"}"#; 101].join(",")
        );
        assert_eq!(invalid_field::<NewProduct>(&many), "features");
    }

    #[test]
    fn text_that_is_not_json_is_told_apart_from_json_that_breaks_a_rule() {
        for bad in ["", "{", "nope", r#"{"delta":1} x"#] {
            assert!(
                matches!(parse::<Adjustment>(bad.as_bytes()), Err(BodyError::NotJson(_))),
                "{bad}"
            );
        }
        for not_an_object in ["[1]", "1", "null", " \"x\""] {
            let refused = parse::<Adjustment>(not_an_object.as_bytes());
            assert!(matches!(refused, Err(BodyError::Invalid { .. })), "{not_an_object}");
        }
    }

    #[test]
    fn a_merge_patch_tells_absent_from_null() {
        let patch: ProductPatch = parse(br#"{"slogan":null,"features":[]}"#).unwrap();
        assert_eq!(patch.slogan, Some(None));
        assert_eq!(patch.description, None);
        assert_eq!(patch.features, Some(Some(Vec::new())));
        let patch: StylePatch = parse(br#"{"sale_price":null}"#).unwrap();
        assert_eq!(patch.sale_price, Some(None));
    }
}
