//! Style writes, and the product's styles read model they rebuild.

use std::sync::LazyLock;

use catalog_core::write::{
    ChangeKind, Diff, NewPhoto, NewStyle, Precondition, StylePatch, Success, Touched, check_precondition, not_found,
    style_json,
};
use catalog_core::{Style, entity_tag};
use diesel::sql_types::{Array, Bool, Integer, Nullable, Numeric, Text};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;

use super::{Outcome, Tx, TxError};
use crate::money::PgPrice;
use crate::prepared::Prepared;
use crate::store::styles_body_of;
use crate::styles_document;

#[derive(QueryableByName)]
struct Results {
    #[diesel(sql_type = Text)]
    results: String,
}

#[derive(QueryableByName)]
struct ProductOf {
    #[diesel(sql_type = Integer)]
    product_id: i32,
}

/// The `ETag` of product `product`'s styles answer whose `results` are `results`.
pub(crate) fn styles_tag(product: i32, results: &str) -> String {
    entity_tag(&styles_body_of(product, results))
}

/// The patched document of `p.results` (a `product_styles` row aliased `p`)
/// with SKU `sku`'s quantity set to `quantity` (SQL expressions): its one
/// `"<sku>":{"quantity":N,` replaced. The sequence cannot occur inside a
/// string value, where every `"` is escaped, so it names the SKU's entry
/// alone, and the result is byte for byte what `product_styles_render` would
/// give (`catalog-pg/tests/styles_patch_pg.rs` checks it). A render costs
/// about 2.5 ms of the database's CPU for a product on this machine; the
/// patch a small fraction of it.
pub(super) fn quantity_patch(sku: &str, quantity: &str) -> String {
    format!(
        "regexp_replace(p.results, '\"' || {sku} || '\":\\{{\"quantity\":-?[0-9]+,', \
         '\"' || {sku} || '\":{{\"quantity\":' || {quantity} || ',')"
    )
}

/// Whether `p.results` holds SKU `sku`'s entry (a SQL condition).
pub(super) fn has_quantity_entry(sku: &str) -> String {
    format!("strpos(p.results, '\"' || {sku} || '\":{{\"quantity\":') > 0")
}

impl Tx<'_> {
    /// The product of style `id`, if the style exists.
    pub(super) async fn style_product(&mut self, id: i32) -> Result<Option<i32>, TxError> {
        let found = Prepared(diesel::sql_query("SELECT product_id FROM styles WHERE id = $1").bind::<Integer, _>(id))
            .get_result::<ProductOf>(self.conn)
            .await
            .optional()?;
        Ok(found.map(|row| row.product_id))
    }

    /// Locks product `product`'s styles read model row (the lock every write
    /// to the product's styles takes); its `results`, or `None` when there
    /// is no such product.
    pub(super) async fn lock_styles(&mut self, product: i32) -> Result<Option<String>, TxError> {
        let found = Prepared(
            diesel::sql_query("SELECT results FROM product_styles WHERE product_id = $1 FOR UPDATE")
                .bind::<Integer, _>(product),
        )
        .get_result::<Results>(self.conn)
        .await
        .optional()?;
        Ok(found.map(|row| row.results))
    }

    /// Rebuilds product `product`'s styles read model row from the tables,
    /// with the SQL the import uses; its new `results`.
    pub(super) async fn rebuild_styles(&mut self, product: i32) -> Result<String, TxError> {
        let row = Prepared(
            diesel::sql_query(
                "UPDATE product_styles SET results = product_styles_render($1) WHERE product_id = $1 RETURNING results",
            )
            .bind::<Integer, _>(product),
        )
        .get_result::<Results>(self.conn)
        .await?;
        Ok(row.results)
    }

    /// Sets SKU `sku`'s quantity to `quantity` in product `product`'s styles
    /// read model row by [`QUANTITY_PATCH`], instead of rendering the whole
    /// document again. Falls back to the render when the entry is not found.
    pub(super) async fn patch_styles_quantity(&mut self, product: i32, sku: i32, quantity: i32) -> Result<(), TxError> {
        static PATCH: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE product_styles p SET results = {} WHERE p.product_id = $1 AND {}",
                quantity_patch("$2", "$3"),
                has_quantity_entry("$2")
            )
        });
        let patched = Prepared(
            diesel::sql_query(PATCH.as_str())
                .bind::<Integer, _>(product)
                .bind::<Integer, _>(sku)
                .bind::<Integer, _>(quantity),
        )
        .execute(self.conn)
        .await?;
        if patched == 0 {
            self.rebuild_styles(product).await?;
        }
        Ok(())
    }

    async fn insert_photos(&mut self, style: i32, photos: &[NewPhoto]) -> Result<(), TxError> {
        if photos.is_empty() {
            return Ok(());
        }
        let urls: Vec<&str> = photos.iter().map(|photo| photo.url.0.as_str()).collect();
        let thumbnails: Vec<&str> = photos.iter().map(|photo| photo.thumbnail_url.0.as_str()).collect();
        Prepared(
            diesel::sql_query(
                "INSERT INTO photos (id, style_id, url, thumbnail_url) \
             SELECT nextval('catalog_meta.photo_ids'), $1, url, thumbnail_url \
             FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS p(url, thumbnail_url, n) ORDER BY n",
            )
            .bind::<Integer, _>(style)
            .bind::<Array<Text>, _>(urls)
            .bind::<Array<Text>, _>(thumbnails),
        )
        .execute(self.conn)
        .await?;
        Ok(())
    }

    /// The style `id` of product `product` as its new `results` give it,
    /// with the styles answer's tag.
    fn answer(product: i32, id: i32, results: &str, created: bool) -> Result<Outcome, TxError> {
        let style = find(results, id)?.ok_or(TxError::Db(diesel::result::Error::NotFound))?;
        Ok(Ok(Success::Style {
            created,
            style,
            styles_tag: styles_tag(product, results),
        }))
    }

    pub(super) async fn create_style(&mut self, product: i32, body: &NewStyle) -> Result<Outcome, TxError> {
        if self.lock_styles(product).await?.is_none() {
            return Ok(Err(not_found("product", product)));
        }
        let id = Prepared(
            diesel::sql_query(
                "INSERT INTO styles (id, product_id, name, sale_price, original_price, default_style) \
             VALUES (nextval('catalog_meta.style_ids'), $1, $2, $3, $4, $5) RETURNING id AS product_id",
            )
            .bind::<Integer, _>(product)
            .bind::<Text, _>(&body.name.0)
            .bind::<Nullable<Numeric>, _>(body.sale_price.map(|price| PgPrice(price.0)))
            .bind::<Numeric, _>(PgPrice(body.original_price.0))
            .bind::<Bool, _>(body.default),
        )
        .get_result::<ProductOf>(self.conn)
        .await?
        .product_id;
        self.insert_photos(id, &body.photos).await?;
        if !body.skus.is_empty() {
            let sizes: Vec<&str> = body.skus.iter().map(|sku| sku.size.0.as_str()).collect();
            let quantities: Vec<i32> = body.skus.iter().map(|sku| sku.quantity.0).collect();
            Prepared(
                diesel::sql_query(
                    "INSERT INTO skus (id, style_id, size, quantity) \
                 SELECT nextval('catalog_meta.sku_ids'), $1, size, quantity \
                 FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS k(size, quantity, n) ORDER BY n",
                )
                .bind::<Integer, _>(id)
                .bind::<Array<Text>, _>(sizes)
                .bind::<Array<Integer>, _>(quantities),
            )
            .execute(self.conn)
            .await?;
        }
        let results = self.rebuild_styles(product).await?;
        let answer = Tx::answer(product, id, &results, true)?;
        if let Ok(Success::Style { style, .. }) = &answer {
            self.log(ChangeKind::StyleCreated, product, None, Some(style_json(style)))
                .style_id = Some(id);
        }
        self.touch(Touched::Styles(product));
        Ok(answer)
    }

    /// Locks style `id`'s product's read model: the product, its current
    /// `results` and the style as they give it; `None` if there is no such style.
    async fn locked_style(&mut self, id: i32) -> Result<Option<(i32, String, Style)>, TxError> {
        let Some(product) = self.style_product(id).await? else {
            return Ok(None);
        };
        let Some(results) = self.lock_styles(product).await? else {
            return Ok(None);
        };
        Ok(find(&results, id)?.map(|style| (product, results, style)))
    }

    pub(super) async fn update_style(
        &mut self,
        id: i32,
        patch: &StylePatch,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        let Some((product, results, mut style)) = self.locked_style(id).await? else {
            return Ok(Err(not_found("style", id)));
        };
        if let Err(refused) = check_precondition(precondition, || styles_tag(product, &results)) {
            return Ok(Err(refused));
        }
        let mut diff = Diff::default();
        patch.apply_fields(&mut style, &mut diff);
        let mut photos_changed = false;
        if let Some(new) = patch.new_photos() {
            photos_changed = new != style.photos;
            diff.set("photos", &mut style.photos, new);
        }
        if diff.is_empty() {
            return Tx::answer(product, id, &results, false);
        }
        Prepared(
            diesel::sql_query(
                "UPDATE styles SET name = $2, original_price = $3, sale_price = $4, default_style = $5 WHERE id = $1",
            )
            .bind::<Integer, _>(id)
            .bind::<Text, _>(&style.name)
            .bind::<Numeric, _>(PgPrice(style.original_price))
            .bind::<Nullable<Numeric>, _>(style.sale_price.map(PgPrice))
            .bind::<Bool, _>(style.default),
        )
        .execute(self.conn)
        .await?;
        if photos_changed {
            Prepared(diesel::sql_query("DELETE FROM photos WHERE style_id = $1").bind::<Integer, _>(id))
                .execute(self.conn)
                .await?;
            let list = patch.photos.as_ref().and_then(|list| list.as_deref()).unwrap_or(&[]);
            self.insert_photos(id, list).await?;
        }
        let results = self.rebuild_styles(product).await?;
        let (before, after) = diff.into_values();
        self.log(ChangeKind::StyleUpdated, product, Some(before), Some(after))
            .style_id = Some(id);
        self.touch(Touched::Styles(product));
        Tx::answer(product, id, &results, false)
    }

    pub(super) async fn delete_style(
        &mut self,
        id: i32,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        // SKU rows before the read model row: the order every write locks in.
        Prepared(
            diesel::sql_query("SELECT id AS product_id FROM skus WHERE style_id = $1 ORDER BY id FOR UPDATE")
                .bind::<Integer, _>(id),
        )
        .load::<ProductOf>(self.conn)
        .await?;
        let Some((product, results, style)) = self.locked_style(id).await? else {
            return Ok(Err(not_found("style", id)));
        };
        if let Err(refused) = check_precondition(precondition, || styles_tag(product, &results)) {
            return Ok(Err(refused));
        }
        for statement in [
            "DELETE FROM skus WHERE style_id = $1",
            "DELETE FROM photos WHERE style_id = $1",
            "DELETE FROM styles WHERE id = $1",
        ] {
            Prepared(diesel::sql_query(statement).bind::<Integer, _>(id))
                .execute(self.conn)
                .await?;
        }
        self.rebuild_styles(product).await?;
        self.log(ChangeKind::StyleDeleted, product, Some(style_json(&style)), None)
            .style_id = Some(id);
        self.touch(Touched::Styles(product));
        Ok(Ok(Success::NoContent))
    }
}

/// Style `id` among `results`.
pub(super) fn find(results: &str, id: i32) -> Result<Option<Style>, TxError> {
    let styles = styles_document::decode(results)?;
    Ok(styles.into_iter().find(|style| style.style_id == id))
}
