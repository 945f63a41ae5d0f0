//! The two earlier forms of the styles query, kept only so the benchmarks can
//! compare them with the read model (feature `bench-styles-forms`; the
//! figures are in docs/bench/pg-criterion.md): four statements pipelined, and
//! the `style_details` view, which [`create_style_details_view`] creates in
//! the catalog that serves (an import does not; a re-import drops it).

use catalog_core::{Photo, ProductId, ProductStyles, Sku, Skus, StoreError, Style};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::{try_join, try_join4};

use super::{PgStore, product_exists};
use crate::error::PgError;
use crate::money::PgPrice;
use crate::schema::catalog::{photos, skus, styles};

diesel::table! {
    use diesel::sql_types::*;

    /// View: one row per style with photos and SKUs aggregated in id order.
    style_details (style_id) {
        style_id -> Integer,
        product_id -> Integer,
        name -> Text,
        original_price -> Numeric,
        sale_price -> Nullable<Numeric>,
        default_style -> Bool,
        photo_thumbnail_urls -> Array<Text>,
        photo_urls -> Array<Text>,
        sku_ids -> Array<Integer>,
        sku_quantities -> Array<Integer>,
        sku_sizes -> Array<Text>,
    }
}

/// Creates (or replaces) the `style_details` view in schema `catalog` of the
/// database at `database_url`, for [`PgStore::styles_aggregated`].
pub fn create_style_details_view(database_url: &str) -> Result<(), PgError> {
    let mut conn = PgConnection::establish(database_url).map_err(PgError::connect)?;
    conn.batch_execute(include_str!("../../bench/style_details.sql"))?;
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = styles, check_for_backend(diesel::pg::Pg))]
struct StyleRow {
    id: i32,
    name: String,
    original_price: PgPrice,
    sale_price: Option<PgPrice>,
    default_style: bool,
}

impl StyleRow {
    /// The style with its `photos` and `skus`.
    fn with(self, photos: Vec<Photo>, skus: Vec<Sku>) -> Style {
        Style {
            style_id: self.id,
            name: self.name,
            original_price: self.original_price.0,
            sale_price: self.sale_price.map(|price| price.0),
            default: self.default_style,
            photos,
            skus: Skus(skus),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = style_details, check_for_backend(diesel::pg::Pg))]
struct StyleDetailRow {
    style_id: i32,
    name: String,
    original_price: PgPrice,
    sale_price: Option<PgPrice>,
    default_style: bool,
    photo_thumbnail_urls: Vec<String>,
    photo_urls: Vec<String>,
    sku_ids: Vec<i32>,
    sku_quantities: Vec<i32>,
    sku_sizes: Vec<String>,
}

impl PgStore {
    /// The styles answer from four statements in one round trip (existence,
    /// styles, photos, SKUs), grouped in Rust.
    pub async fn styles_pipelined(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        let (exists, style_rows, photo_rows, sku_rows) = self
            .pools
            .read(move |conn| {
                async move {
                    let exists = product_exists(conn, id);
                    let style_rows = styles::table
                        .filter(styles::product_id.eq(id.get()))
                        .order(styles::id)
                        .select(StyleRow::as_select())
                        .load::<StyleRow>(&mut &*conn);
                    let photo_rows = photos::table
                        .inner_join(styles::table)
                        .filter(styles::product_id.eq(id.get()))
                        .order((photos::style_id, photos::id))
                        .select((photos::style_id, photos::thumbnail_url, photos::url))
                        .load::<(i32, String, String)>(&mut &*conn);
                    let sku_rows = skus::table
                        .inner_join(styles::table)
                        .filter(styles::product_id.eq(id.get()))
                        .order((skus::style_id, skus::id))
                        .select((skus::style_id, skus::id, skus::quantity, skus::size))
                        .load::<(i32, i32, i32, String)>(&mut &*conn);
                    try_join4(exists, style_rows, photo_rows, sku_rows).await
                }
                .boxed()
            })
            .await?;
        exists.ok_or(StoreError::ProductNotFound(id.get()))?;

        let mut photo_rows = photo_rows.into_iter().peekable();
        let mut sku_rows = sku_rows.into_iter().peekable();
        let styles = style_rows
            .into_iter()
            .map(|style| {
                let mut photos = Vec::new();
                while let Some((_, thumbnail_url, url)) = photo_rows.next_if(|(style_id, ..)| *style_id == style.id) {
                    photos.push(Photo { thumbnail_url, url });
                }
                let mut skus = Vec::new();
                while let Some((_, id, quantity, size)) = sku_rows.next_if(|(style_id, ..)| *style_id == style.id) {
                    skus.push(Sku { id, quantity, size });
                }
                style.with(photos, skus)
            })
            .collect();
        Ok(ProductStyles {
            product_id: id,
            results: styles,
        })
    }

    /// The styles answer from the `style_details` view (which aggregates
    /// photos and SKUs into arrays), pipelined with the existence check.
    pub async fn styles_aggregated(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        let (exists, rows) = self
            .pools
            .read(move |conn| {
                async move {
                    let exists = product_exists(conn, id);
                    let rows = style_details::table
                        .filter(style_details::product_id.eq(id.get()))
                        .order(style_details::style_id)
                        .select(StyleDetailRow::as_select())
                        .load::<StyleDetailRow>(&mut &*conn);
                    try_join(exists, rows).await
                }
                .boxed()
            })
            .await?;
        exists.ok_or(StoreError::ProductNotFound(id.get()))?;
        let styles = rows
            .into_iter()
            .map(|row| {
                let photos = row
                    .photo_thumbnail_urls
                    .into_iter()
                    .zip(row.photo_urls)
                    .map(|(thumbnail_url, url)| Photo { thumbnail_url, url })
                    .collect();
                let skus = row
                    .sku_ids
                    .into_iter()
                    .zip(row.sku_quantities)
                    .zip(row.sku_sizes)
                    .map(|((id, quantity), size)| Sku { id, quantity, size })
                    .collect();
                let style = StyleRow {
                    id: row.style_id,
                    name: row.name,
                    original_price: row.original_price,
                    sale_price: row.sale_price,
                    default_style: row.default_style,
                };
                style.with(photos, skus)
            })
            .collect();
        Ok(ProductStyles {
            product_id: id,
            results: styles,
        })
    }
}
