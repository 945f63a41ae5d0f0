//! Domain types, the [`CatalogStore`] trait, errors and the JSON shapes of the
//! product catalog contract.
//!
//! This crate depends on no web framework and no database driver: stores
//! (`catalog-mem`, `catalog-pg`) implement [`CatalogStore`], and the HTTP layer
//! serializes the returned types with serde, which yields the contract's JSON
//! byte for byte (compact form).
//!
//! ```
//! use catalog_core::{Page, Price, ProductId, Product};
//!
//! let id: ProductId = "42".parse().unwrap();
//! assert_eq!(id.get(), 42);
//! assert!("4.2".parse::<ProductId>().is_err());
//!
//! let page = Page::parse(Some("3"), None).unwrap();
//! assert_eq!((page.page(), page.count(), page.offset()), (3, 5, 10));
//!
//! let product = Product {
//!     id: 1,
//!     name: "Camo Onesie".into(),
//!     slogan: "Blend in to your crowd".into(),
//!     description: "The So Fatigues will wake you up and fit you in.".into(),
//!     category: "Jackets".into(),
//!     default_price: "140".parse::<Price>().unwrap(),
//! };
//! let json = serde_json::to_string(&product).unwrap();
//! assert!(json.ends_with(r#""category":"Jackets","default_price":"140.00"}"#));
//! ```

mod error;
mod etag;
mod id;
mod model;
mod price;
mod store;
pub mod write;

pub use error::{BoxError, InternalKind, InvalidInput, StoreError, UnavailableKind};
pub use etag::entity_tag;
pub use id::{Page, ProductId, SkuId, StyleId, parse_decimal_i32};
pub use model::{
    Feature, Photo, PhotoList, Product, ProductDetail, ProductStyles, Sku, SkuDetail, SkuMap, Skus, Style, StyleForm,
};
pub use price::{ParsePriceError, Price};
pub use store::{CatalogStore, PoolStatus};
pub use write::CatalogWriter;
