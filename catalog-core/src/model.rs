//! The catalog's domain types, whose serde form is the contract's JSON.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::{Price, ProductId};

/// A product as listed by `GET /products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The product id (≥ 1).
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Marketing slogan; may be empty.
    pub slogan: String,
    /// Long description; may be empty.
    pub description: String,
    /// Category name; may be empty.
    pub category: String,
    /// Price before any style's sale.
    pub default_price: Price,
}

/// One feature of a product: a name and an optional value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// Feature name, such as `"Sole"`.
    pub feature: String,
    /// Feature value; `None` when the source had `null` or nothing.
    pub value: Option<String>,
}

/// A product with its features, as returned by `GET /products/:product_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductDetail {
    /// The product id (≥ 1).
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Marketing slogan; may be empty.
    pub slogan: String,
    /// Long description; may be empty.
    pub description: String,
    /// Category name; may be empty.
    pub category: String,
    /// Price before any style's sale.
    pub default_price: Price,
    /// Features in ascending feature id order.
    pub features: Vec<Feature>,
}

impl ProductDetail {
    /// Joins a product with its features.
    pub fn new(product: Product, features: Vec<Feature>) -> ProductDetail {
        let Product {
            id,
            name,
            slogan,
            description,
            category,
            default_price,
        } = product;
        ProductDetail {
            id,
            name,
            slogan,
            description,
            category,
            default_price,
            features,
        }
    }
}

/// A photo of a style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Photo {
    /// Small image URL.
    pub thumbnail_url: String,
    /// Full-size image URL.
    pub url: String,
}

/// A stock-keeping unit: one size of a style and how many are in stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    /// The SKU id, the key of the style's `skus` object.
    pub id: i32,
    /// Units in stock.
    pub quantity: i32,
    /// Size label, such as `"XS"` or `"7.5"`.
    pub size: String,
}

/// One SKU with its style and product, as `GET /skus/:sku_id` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SkuDetail {
    /// The SKU id.
    pub sku_id: i32,
    /// Its style.
    pub style_id: i32,
    /// The style's product.
    pub product_id: i32,
    /// Size label.
    pub size: String,
    /// Units in stock.
    pub quantity: i32,
}

/// A style's SKUs in ascending id order, serialized as an object keyed by id.
///
/// No SKUs serialize as `{"null": {"quantity": null, "size": null}}`, the
/// all-null row the original API's outer join gave: storefronts read the
/// entries of `skus` without a guard. The placeholder is only a form of the
/// answer, never a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Skus(pub Vec<Sku>);

impl Serialize for Skus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry<'a> {
            quantity: Option<i32>,
            size: Option<&'a str>,
        }
        if self.0.is_empty() {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(
                "null",
                &Entry {
                    quantity: None,
                    size: None,
                },
            )?;
            return map.end();
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for sku in &self.0 {
            let entry = Entry {
                quantity: Some(sku.quantity),
                size: Some(&sku.size),
            };
            map.serialize_entry(itoa::Buffer::new().format(sku.id), &entry)?;
        }
        map.end()
    }
}

/// A style of a product: a colourway with its prices, photos and sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Style {
    /// The style id.
    pub style_id: i32,
    /// Display name, such as `"Forest Green & Black"`.
    pub name: String,
    /// Regular price.
    pub original_price: Price,
    /// Sale price; `None` when the style is not on sale.
    pub sale_price: Option<Price>,
    /// Whether this is the product's default style.
    #[serde(rename = "default?")]
    pub default: bool,
    /// Photos in ascending photo id order; none serialize as
    /// `[{"thumbnail_url": null, "url": null}]`, as the original API answered
    /// (storefronts read `photos[0].thumbnail_url` without a guard).
    #[serde(serialize_with = "serialize_photos")]
    pub photos: Vec<Photo>,
    /// SKUs in ascending SKU id order.
    pub skus: Skus,
}

/// A product's styles, as returned by `GET /products/:product_id/styles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductStyles {
    /// The product id, serialized as a string as the original API did.
    #[serde(serialize_with = "serialize_display")]
    pub product_id: ProductId,
    /// Styles in ascending style id order.
    pub results: Vec<Style>,
}

/// `photos`, or the original API's one all-null photo when there are none.
fn serialize_photos<S: Serializer>(photos: &[Photo], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct NoPhoto {
        thumbnail_url: Option<&'static str>,
        url: Option<&'static str>,
    }
    if photos.is_empty() {
        let placeholder = NoPhoto {
            thumbnail_url: None,
            url: None,
        };
        return [placeholder].serialize(serializer);
    }
    photos.serialize(serializer)
}

fn serialize_display<S: Serializer>(value: &ProductId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn styles_serialize_as_the_contract_says() {
        let styles = ProductStyles {
            product_id: ProductId::new(1).unwrap(),
            results: vec![Style {
                style_id: 1,
                name: "Forest Green & Black".into(),
                original_price: price("140"),
                sale_price: None,
                default: true,
                photos: vec![Photo {
                    thumbnail_url: "t".into(),
                    url: "u".into(),
                }],
                skus: Skus(vec![
                    Sku {
                        id: 2,
                        quantity: 16,
                        size: "S".into(),
                    },
                    Sku {
                        id: 10,
                        quantity: 8,
                        size: "XS".into(),
                    },
                ]),
            }],
        };
        assert_eq!(
            serde_json::to_string(&styles).unwrap(),
            concat!(
                r#"{"product_id":"1","results":[{"style_id":1,"name":"Forest Green & Black","#,
                r#""original_price":"140.00","sale_price":null,"default?":true,"#,
                r#""photos":[{"thumbnail_url":"t","url":"u"}],"#,
                r#""skus":{"2":{"quantity":16,"size":"S"},"10":{"quantity":8,"size":"XS"}}}]}"#
            )
        );
    }

    #[test]
    fn a_style_without_photos_or_skus_has_the_original_apis_all_null_entries() {
        let style = Style {
            style_id: 3,
            name: "Bare".into(),
            original_price: price("10"),
            sale_price: Some(price("9.5")),
            default: false,
            photos: Vec::new(),
            skus: Skus::default(),
        };
        assert_eq!(
            serde_json::to_string(&style).unwrap(),
            concat!(
                r#"{"style_id":3,"name":"Bare","original_price":"10.00","sale_price":"9.50","default?":false,"#,
                r#""photos":[{"thumbnail_url":null,"url":null}],"#,
                r#""skus":{"null":{"quantity":null,"size":null}}}"#
            )
        );
    }

    #[test]
    fn product_detail_puts_features_last_and_null_values_as_null() {
        let product = Product {
            id: 11,
            name: "Air Minis 250".into(),
            slogan: "s".into(),
            description: "d".into(),
            category: "c".into(),
            default_price: price("0"),
        };
        let features = vec![Feature {
            feature: "Sole".into(),
            value: None,
        }];
        let json = serde_json::to_string(&ProductDetail::new(product, features)).unwrap();
        assert_eq!(
            json,
            r#"{"id":11,"name":"Air Minis 250","slogan":"s","description":"d","category":"c","default_price":"0.00","features":[{"feature":"Sole","value":null}]}"#
        );
    }
}
