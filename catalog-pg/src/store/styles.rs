//! The three forms of the styles query ([`StylesQuery`](crate::StylesQuery)), all giving the
//! same answers: kept side by side so benchmarks can compare them.

use catalog_core::{Photo, ProductId, Sku, Skus, StoreError, Style};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::{try_join, try_join4};

use super::{PgStore, product_exists};
use crate::money::PgPrice;
use crate::schema::{photos, product_styles, skus, style_details, styles};
use crate::styles_document;

#[derive(Queryable, Selectable)]
#[diesel(table_name = styles, check_for_backend(diesel::pg::Pg))]
struct StyleRow {
    id: i32,
    name: String,
    original_price: PgPrice,
    sale_price: Option<PgPrice>,
    default_style: bool,
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
    /// [`StylesQuery::Pipelined`](crate::StylesQuery::Pipelined): four statements in one round trip.
    pub(super) async fn styles_pipelined(&self, id: ProductId) -> Result<Vec<Style>, StoreError> {
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
                Style {
                    style_id: style.id,
                    name: style.name,
                    original_price: style.original_price.0,
                    sale_price: style.sale_price.map(|price| price.0),
                    default: style.default_style,
                    photos,
                    skus: Skus(skus),
                }
            })
            .collect();
        Ok(styles)
    }

    /// [`StylesQuery::Aggregated`](crate::StylesQuery::Aggregated): the `style_details` view, pipelined with the existence check.
    pub(super) async fn styles_aggregated(&self, id: ProductId) -> Result<Vec<Style>, StoreError> {
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
                Style {
                    style_id: row.style_id,
                    name: row.name,
                    original_price: row.original_price.0,
                    sale_price: row.sale_price.map(|price| price.0),
                    default: row.default_style,
                    photos,
                    skus: Skus(skus),
                }
            })
            .collect();
        Ok(styles)
    }

    /// [`StylesQuery::ReadModel`](crate::StylesQuery::ReadModel): one statement; no row means no such product.
    pub(super) async fn styles_read_model(&self, id: ProductId) -> Result<Vec<Style>, StoreError> {
        let document = self
            .pools
            .read(move |conn| {
                async move {
                    product_styles::table
                        .find(id.get())
                        .select(product_styles::styles)
                        .first::<String>(&mut &*conn)
                        .await
                        .optional()
                }
                .boxed()
            })
            .await?
            .ok_or(StoreError::ProductNotFound(id.get()))?;
        styles_document::decode(&document)
    }
}
