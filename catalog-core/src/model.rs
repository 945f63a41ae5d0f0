//! The catalog's domain types, whose serde form is the contract's JSON.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

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
        SkuMap(self.0.iter().map(|sku| (sku.id, sku.quantity, sku.size.as_str()))).serialize(serializer)
    }
}

/// A style's SKUs in the contract's form, from any list of `(id, quantity,
/// size)` in id order: an object keyed by id, and no SKUs as the `"null"`
/// placeholder of [`Skus`]. [`Skus`] serializes through it, and so can a
/// store that keeps SKUs in a form of its own.
pub struct SkuMap<I>(pub I);

impl<I, Size> Serialize for SkuMap<I>
where
    I: ExactSizeIterator<Item = (i32, i32, Size)> + Clone,
    Size: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry<Size> {
            quantity: Option<i32>,
            size: Option<Size>,
        }
        let skus = self.0.clone();
        let mut map = serializer.serialize_map(Some(skus.len().max(1)))?;
        if skus.len() == 0 {
            let placeholder = Entry::<Size> {
                quantity: None,
                size: None,
            };
            map.serialize_entry("null", &placeholder)?;
        }
        for (id, quantity, size) in skus {
            let entry = Entry {
                quantity: Some(quantity),
                size: Some(size),
            };
            map.serialize_entry(itoa::Buffer::new().format(id), &entry)?;
        }
        map.end()
    }
}

/// A style's photos in the contract's form, from any list of `(thumbnail
/// URL, URL)` in id order; none serialize as the original API's one all-null
/// photo (see [`Style::photos`]). [`Style`] serializes through it, and so can
/// a store that keeps photos in a form of its own.
pub struct PhotoList<I>(pub I);

impl<I, Url> Serialize for PhotoList<I>
where
    I: ExactSizeIterator<Item = (Url, Url)> + Clone,
    Url: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry<Url> {
            thumbnail_url: Option<Url>,
            url: Option<Url>,
        }
        let photos = self.0.clone();
        let mut list = serializer.serialize_seq(Some(photos.len().max(1)))?;
        if photos.len() == 0 {
            list.serialize_element(&Entry::<Url> {
                thumbnail_url: None,
                url: None,
            })?;
        }
        for (thumbnail_url, url) in photos {
            list.serialize_element(&Entry {
                thumbnail_url: Some(thumbnail_url),
                url: Some(url),
            })?;
        }
        list.end()
    }
}

/// A style in the contract's form, over parts of any shape: [`Style`]
/// serializes through it, and so can a store that keeps styles in a form of
/// its own.
#[derive(Serialize)]
pub struct StyleForm<'a, Photos, Skus> {
    /// The style id.
    pub style_id: i32,
    /// Display name.
    pub name: &'a str,
    /// Regular price.
    pub original_price: Price,
    /// Sale price, if on sale.
    pub sale_price: Option<Price>,
    /// Whether this is the product's default style.
    #[serde(rename = "default?")]
    pub default: bool,
    /// The photos, as a [`PhotoList`].
    pub photos: Photos,
    /// The SKUs, as a [`SkuMap`].
    pub skus: Skus,
}

/// A style of a product: a colourway with its prices, photos and sizes;
/// serialized as a [`StyleForm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// The style id.
    pub style_id: i32,
    /// Display name, such as `"Forest Green & Black"`.
    pub name: String,
    /// Regular price.
    pub original_price: Price,
    /// Sale price; `None` when the style is not on sale.
    pub sale_price: Option<Price>,
    /// Whether this is the product's default style (`default?` in JSON).
    pub default: bool,
    /// Photos in ascending photo id order; none serialize as
    /// `[{"thumbnail_url": null, "url": null}]`, as the original API answered
    /// (storefronts read `photos[0].thumbnail_url` without a guard).
    pub photos: Vec<Photo>,
    /// SKUs in ascending SKU id order.
    pub skus: Skus,
}

impl Serialize for Style {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let photos = self
            .photos
            .iter()
            .map(|photo| (photo.thumbnail_url.as_str(), photo.url.as_str()));
        StyleForm {
            style_id: self.style_id,
            name: &self.name,
            original_price: self.original_price,
            sale_price: self.sale_price,
            default: self.default,
            photos: PhotoList(photos),
            skus: &self.skus,
        }
        .serialize(serializer)
    }
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
