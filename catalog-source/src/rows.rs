//! Typed rows of the six files, parsed field by field from a split line.

use catalog_core::{Price, parse_decimal_i32};

use crate::line::Split;
use crate::reject::RejectReason;

/// A row of `product.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductRow<'a> {
    /// Product id.
    pub id: i32,
    /// Display name (non-empty).
    pub name: &'a str,
    /// Slogan (may be empty).
    pub slogan: &'a str,
    /// Description (may be empty).
    pub description: &'a str,
    /// Category (may be empty).
    pub category: &'a str,
    /// Default price.
    pub default_price: Price,
}

/// A row of `features.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureRow<'a> {
    /// Feature id.
    pub id: i32,
    /// The product it describes.
    pub product_id: i32,
    /// Feature name (non-empty).
    pub feature: &'a str,
    /// Value; `None` for `null` or an empty field.
    pub value: Option<&'a str>,
}

/// A row of `styles.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleRow<'a> {
    /// Style id.
    pub id: i32,
    /// The product it belongs to.
    pub product_id: i32,
    /// Display name (non-empty).
    pub name: &'a str,
    /// Sale price; `None` for `null` or an empty field.
    pub sale_price: Option<Price>,
    /// Regular price.
    pub original_price: Price,
    /// Whether it is the product's default style.
    pub default_style: bool,
}

/// A row of `photos.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoRow<'a> {
    /// Photo id.
    pub id: i32,
    /// The style it shows.
    pub style_id: i32,
    /// Full-size URL (non-empty).
    pub url: &'a str,
    /// Thumbnail URL (non-empty).
    pub thumbnail_url: &'a str,
}

/// A row of `skus.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkuRow<'a> {
    /// SKU id.
    pub id: i32,
    /// The style it is a size of.
    pub style_id: i32,
    /// Size label (non-empty).
    pub size: &'a str,
    /// Units in stock (≥ 0).
    pub quantity: i32,
}

/// A row of `related.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelatedRow {
    /// Row id; related ids are listed in this order.
    pub id: i32,
    /// The product the link belongs to.
    pub current_product_id: i32,
    /// The product it points at.
    pub related_product_id: i32,
}

/// Reads named fields of a split line in column order, turning failures into reasons.
pub(crate) struct Fields<'a> {
    split: Split<'a>,
    next: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(split: Split<'a>) -> Fields<'a> {
        Fields { split, next: 0 }
    }

    fn raw(&mut self) -> &'a str {
        let field = self.split.field(self.next);
        self.next += 1;
        field
    }

    /// Any text, possibly empty.
    pub(crate) fn text(&mut self) -> &'a str {
        self.raw()
    }

    /// Text that must not be empty.
    pub(crate) fn required(&mut self, name: &'static str) -> Result<&'a str, RejectReason> {
        let text = self.raw();
        if text.is_empty() {
            Err(RejectReason::EmptyField(name))
        } else {
            Ok(text)
        }
    }

    /// Text where `null` or nothing means no value.
    pub(crate) fn nullable(&mut self) -> Option<&'a str> {
        let text = self.raw();
        (!text.is_empty() && text != "null").then_some(text)
    }

    /// An id: a decimal integer ≥ 1.
    pub(crate) fn id(&mut self, name: &'static str) -> Result<i32, RejectReason> {
        match self.required(name).map(parse_decimal_i32)? {
            Some(id) if id >= 1 => Ok(id),
            _ => Err(RejectReason::InvalidId(name)),
        }
    }

    /// A reference to a related product, where `0` is its own reason.
    pub(crate) fn related_id(&mut self, name: &'static str) -> Result<i32, RejectReason> {
        match self.required(name).map(parse_decimal_i32)? {
            Some(0) => Err(RejectReason::RelatedToZero),
            Some(id) => Ok(id),
            None => Err(RejectReason::InvalidId(name)),
        }
    }

    /// A quantity: a decimal integer ≥ 0.
    pub(crate) fn quantity(&mut self, name: &'static str) -> Result<i32, RejectReason> {
        parse_decimal_i32(self.required(name)?).ok_or(RejectReason::InvalidQuantity)
    }

    /// A required price.
    pub(crate) fn price(&mut self, name: &'static str) -> Result<Price, RejectReason> {
        let text = self.required(name)?;
        text.parse().map_err(|why| RejectReason::InvalidPrice(name, why))
    }

    /// A price where `null` or nothing means no value.
    pub(crate) fn nullable_price(&mut self, name: &'static str) -> Result<Option<Price>, RejectReason> {
        self.nullable()
            .map(|text| text.parse().map_err(|why| RejectReason::InvalidPrice(name, why)))
            .transpose()
    }

    /// `1`/`0`/`true`/`false`.
    pub(crate) fn boolean(&mut self, name: &'static str) -> Result<bool, RejectReason> {
        match self.required(name)? {
            "1" | "true" => Ok(true),
            "0" | "false" => Ok(false),
            _ => Err(RejectReason::InvalidBoolean(name)),
        }
    }
}

impl<'a> ProductRow<'a> {
    pub(crate) fn parse(f: &mut Fields<'a>) -> Result<ProductRow<'a>, RejectReason> {
        Ok(ProductRow {
            id: f.id("id")?,
            name: f.required("name")?,
            slogan: f.text(),
            description: f.text(),
            category: f.text(),
            default_price: f.price("default_price")?,
        })
    }
}

impl<'a> FeatureRow<'a> {
    pub(crate) fn parse(f: &mut Fields<'a>) -> Result<FeatureRow<'a>, RejectReason> {
        Ok(FeatureRow {
            id: f.id("id")?,
            product_id: f.id("product_id")?,
            feature: f.required("feature")?,
            value: f.nullable(),
        })
    }
}

impl<'a> StyleRow<'a> {
    pub(crate) fn parse(f: &mut Fields<'a>) -> Result<StyleRow<'a>, RejectReason> {
        Ok(StyleRow {
            id: f.id("id")?,
            product_id: f.id("productId")?,
            name: f.required("name")?,
            sale_price: f.nullable_price("sale_price")?,
            original_price: f.price("original_price")?,
            default_style: f.boolean("default_style")?,
        })
    }
}

impl<'a> PhotoRow<'a> {
    pub(crate) fn parse(f: &mut Fields<'a>) -> Result<PhotoRow<'a>, RejectReason> {
        Ok(PhotoRow {
            id: f.id("id")?,
            style_id: f.id("styleId")?,
            url: f.required("url")?,
            thumbnail_url: f.required("thumbnail_url")?,
        })
    }
}

impl<'a> SkuRow<'a> {
    pub(crate) fn parse(f: &mut Fields<'a>) -> Result<SkuRow<'a>, RejectReason> {
        Ok(SkuRow {
            id: f.id("id")?,
            style_id: f.id("styleId")?,
            size: f.required("size")?,
            quantity: f.quantity("quantity")?,
        })
    }
}

impl RelatedRow {
    pub(crate) fn parse(f: &mut Fields<'_>) -> Result<RelatedRow, RejectReason> {
        let id = f.id("id")?;
        let current_product_id = f.id("current_product_id")?;
        let related_product_id = f.related_id("related_product_id")?;
        if related_product_id == current_product_id {
            return Err(RejectReason::RelatedToSelf);
        }
        Ok(RelatedRow {
            id,
            current_product_id,
            related_product_id,
        })
    }
}
