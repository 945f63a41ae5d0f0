//! Product writes (create, patch, delete with everything under it) and
//! related links.

use catalog_core::write::{
    ChangeKind, Diff, NewProduct, Precondition, ProductPatch, Rejection, Success, Touched, check_precondition,
    features, json_of, not_found, style_json, tag_of,
};
use catalog_core::{Feature, Product, ProductDetail};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Numeric, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;

use super::{Outcome, Tx, TxError};
use crate::money::PgPrice;
use crate::prepared::Prepared;
use crate::statements::{self, ProductRow};
use crate::styles_document;

/// The advisory lock that serializes the writes that change the list of
/// products (positions are dense: a new product takes the next one, a
/// deleted one's later neighbours move down by one).
const LISTING_LOCK: &str = "SELECT pg_advisory_xact_lock(7161132844275689292)"; // "catalogL"

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

impl Tx<'_> {
    async fn insert_features(&mut self, product: i32, list: &[Feature]) -> Result<(), TxError> {
        if list.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = list.iter().map(|feature| feature.feature.as_str()).collect();
        let values: Vec<Option<&str>> = list.iter().map(|feature| feature.value.as_deref()).collect();
        Prepared(
            diesel::sql_query(
                "INSERT INTO features (id, product_id, feature, value) \
             SELECT nextval('catalog_meta.feature_ids'), $1, feature, value \
             FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS f(feature, value, n) ORDER BY n",
            )
            .bind::<Integer, _>(product)
            .bind::<Array<Text>, _>(names)
            .bind::<Array<Nullable<Text>>, _>(values),
        )
        .execute(self.conn)
        .await?;
        Ok(())
    }

    /// Product `id` with its row locked, and its features: `FOR UPDATE` to
    /// delete it, else `FOR NO KEY UPDATE` (which the foreign-key checks of
    /// concurrent inserts under the product do not wait for).
    async fn locked_product(&mut self, id: i32, delete: bool) -> Result<Option<ProductDetail>, TxError> {
        let found = if delete {
            statements::product(id)
                .for_update()
                .get_result::<ProductRow>(self.conn)
                .await
        } else {
            statements::product(id)
                .for_no_key_update()
                .get_result::<ProductRow>(self.conn)
                .await
        };
        let row = found.optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let features = statements::product_features(id)
            .load::<(String, Option<String>)>(self.conn)
            .await?
            .into_iter()
            .map(|(feature, value)| Feature { feature, value })
            .collect();
        Ok(Some(ProductDetail::new(Product::from(row), features)))
    }

    pub(super) async fn create_product(&mut self, body: &NewProduct) -> Result<Outcome, TxError> {
        self.conn.batch_execute(LISTING_LOCK).await?;
        let id = Prepared(
            diesel::sql_query(
                "INSERT INTO products (id, pos, name, slogan, description, category, default_price) \
             VALUES (nextval('catalog_meta.product_ids'), (SELECT coalesce(max(pos) + 1, 0) FROM products), \
                     $1, $2, $3, $4, $5) RETURNING id",
            )
            .bind::<Text, _>(&body.name.0)
            .bind::<Text, _>(&body.slogan)
            .bind::<Text, _>(&body.description)
            .bind::<Text, _>(&body.category)
            .bind::<Numeric, _>(PgPrice(body.default_price.0)),
        )
        .get_result::<Id>(self.conn)
        .await?
        .id;
        let features = features(&body.features);
        self.insert_features(id, &features).await?;
        Prepared(
            diesel::sql_query("INSERT INTO product_styles (product_id, results) VALUES ($1, '[]')")
                .bind::<Integer, _>(id),
        )
        .execute(self.conn)
        .await?;
        let product = Product {
            id,
            name: body.name.0.clone(),
            slogan: body.slogan.clone(),
            description: body.description.clone(),
            category: body.category.clone(),
            default_price: body.default_price.0,
        };
        let detail = ProductDetail::new(product, features);
        self.log(ChangeKind::ProductCreated, id, None, Some(json_of(&detail)));
        self.touch(Touched::Product(id));
        self.touch(Touched::Listing);
        Ok(Ok(Success::Product { created: true, detail }))
    }

    pub(super) async fn update_product(
        &mut self,
        id: i32,
        patch: &ProductPatch,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        let Some(current) = self.locked_product(id, false).await? else {
            return Ok(Err(not_found("product", id)));
        };
        if let Err(refused) = check_precondition(precondition, || tag_of(&current)) {
            return Ok(Err(refused));
        }
        let mut product = Product {
            id,
            name: current.name.clone(),
            slogan: current.slogan.clone(),
            description: current.description.clone(),
            category: current.category.clone(),
            default_price: current.default_price,
        };
        let mut features_now = current.features.clone();
        let mut diff = Diff::default();
        let listed = patch.apply_listed(&mut product, &mut diff);
        let mut features_changed = false;
        if let Some(new) = patch.new_features() {
            features_changed = new != features_now;
            diff.set("features", &mut features_now, new);
        }
        if diff.is_empty() {
            return Ok(Ok(Success::Product {
                created: false,
                detail: current,
            }));
        }
        if listed {
            Prepared(
                diesel::sql_query(
                    "UPDATE products SET name = $2, slogan = $3, description = $4, category = $5, default_price = $6 \
                 WHERE id = $1",
                )
                .bind::<Integer, _>(id)
                .bind::<Text, _>(&product.name)
                .bind::<Text, _>(&product.slogan)
                .bind::<Text, _>(&product.description)
                .bind::<Text, _>(&product.category)
                .bind::<Numeric, _>(PgPrice(product.default_price)),
            )
            .execute(self.conn)
            .await?;
        }
        if features_changed {
            Prepared(diesel::sql_query("DELETE FROM features WHERE product_id = $1").bind::<Integer, _>(id))
                .execute(self.conn)
                .await?;
            self.insert_features(id, &features_now).await?;
        }
        let detail = ProductDetail::new(product, features_now);
        let (before, after) = diff.into_values();
        self.log(ChangeKind::ProductUpdated, id, Some(before), Some(after));
        self.touch(Touched::Product(id));
        if listed {
            self.touch(Touched::Listing);
        }
        Ok(Ok(Success::Product { created: false, detail }))
    }

    /// Deletes the product with its features, styles, photos, SKUs, its read
    /// model row and every related link to or from it; the products after
    /// it move down one position.
    pub(super) async fn delete_product(
        &mut self,
        id: i32,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        self.conn.batch_execute(LISTING_LOCK).await?;
        Prepared(
            diesel::sql_query(
                "SELECT k.id FROM skus k JOIN styles s ON s.id = k.style_id WHERE s.product_id = $1 \
             ORDER BY k.id FOR UPDATE OF k",
            )
            .bind::<Integer, _>(id),
        )
        .load::<Id>(self.conn)
        .await?;
        let Some(results) = self.lock_styles(id).await? else {
            return Ok(Err(not_found("product", id)));
        };
        let Some(detail) = self.locked_product(id, true).await? else {
            return Ok(Err(not_found("product", id)));
        };
        if let Err(refused) = check_precondition(precondition, || tag_of(&detail)) {
            return Ok(Err(refused));
        }
        let styles = styles_document::decode(&results)?;
        let before = json!({
            "product": detail,
            "styles": styles.iter().map(style_json).collect::<Vec<_>>(),
        });
        for statement in [
            "DELETE FROM product_styles WHERE product_id = $1",
            "DELETE FROM skus WHERE style_id IN (SELECT id FROM styles WHERE product_id = $1)",
            "DELETE FROM photos WHERE style_id IN (SELECT id FROM styles WHERE product_id = $1)",
            "DELETE FROM styles WHERE product_id = $1",
            "DELETE FROM features WHERE product_id = $1",
        ] {
            Prepared(diesel::sql_query(statement).bind::<Integer, _>(id))
                .execute(self.conn)
                .await?;
        }
        let linking = Prepared(
            diesel::sql_query(
                "DELETE FROM related WHERE current_product_id = $1 OR related_product_id = $1 \
             RETURNING current_product_id AS id",
            )
            .bind::<Integer, _>(id),
        )
        .load::<Id>(self.conn)
        .await?;
        #[derive(QueryableByName)]
        struct Pos {
            #[diesel(sql_type = Integer)]
            pos: i32,
        }
        let pos =
            Prepared(diesel::sql_query("DELETE FROM products WHERE id = $1 RETURNING pos").bind::<Integer, _>(id))
                .get_result::<Pos>(self.conn)
                .await?
                .pos;
        // Two passes, so the unique index on `pos` never sees two equal ones.
        for statement in [
            "UPDATE products SET pos = -pos WHERE pos > $1",
            "UPDATE products SET pos = -pos - 1 WHERE pos < 0",
        ] {
            Prepared(diesel::sql_query(statement).bind::<Integer, _>(pos))
                .execute(self.conn)
                .await?;
        }
        self.log(ChangeKind::ProductDeleted, id, Some(before), None);
        for touched in [
            Touched::Product(id),
            Touched::Styles(id),
            Touched::Related(id),
            Touched::Listing,
        ] {
            self.touch(touched);
        }
        for row in linking {
            if row.id != id {
                self.touch(Touched::Related(row.id));
            }
        }
        Ok(Ok(Success::NoContent))
    }

    /// Whether product `id` exists; with `lock`, its row is locked against
    /// other related writes of it.
    async fn product_exists(&mut self, id: i32, lock: bool) -> Result<bool, TxError> {
        let statement = if lock {
            "SELECT id FROM products WHERE id = $1 FOR NO KEY UPDATE"
        } else {
            "SELECT id FROM products WHERE id = $1"
        };
        let found = Prepared(diesel::sql_query(statement).bind::<Integer, _>(id))
            .get_result::<Id>(self.conn)
            .await
            .optional()?;
        Ok(found.is_some())
    }

    /// Product `id`'s related answer now (each id once, in link order).
    async fn related_now(&mut self, id: i32) -> Result<Vec<i32>, TxError> {
        let mut targets = statements::related_ids(id).load::<i32>(self.conn).await?;
        let mut seen = std::collections::HashSet::with_capacity(targets.len());
        targets.retain(|target| seen.insert(*target));
        Ok(targets)
    }

    pub(super) async fn add_related(&mut self, id: i32, related: i32) -> Result<Outcome, TxError> {
        if !self.product_exists(id, true).await? {
            return Ok(Err(not_found("product", id)));
        }
        if !self.product_exists(related, false).await? {
            return Ok(Err(not_found("product", related)));
        }
        if id == related {
            return Ok(Err(Rejection::Invalid {
                field: "related_id".to_owned(),
                message: "a product cannot be related to itself".to_owned(),
            }));
        }
        if self.related_now(id).await?.contains(&related) {
            return Ok(Ok(Success::NoContent));
        }
        Prepared(
            diesel::sql_query(
                "INSERT INTO related (id, current_product_id, related_product_id) \
             VALUES (nextval('catalog_meta.related_ids'), $1, $2)",
            )
            .bind::<Integer, _>(id)
            .bind::<Integer, _>(related),
        )
        .execute(self.conn)
        .await?;
        self.log(ChangeKind::RelatedAdded, id, None, Some(json!({"related_id": related})));
        self.touch(Touched::Related(id));
        Ok(Ok(Success::NoContent))
    }

    pub(super) async fn remove_related(
        &mut self,
        id: i32,
        related: i32,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        if !self.product_exists(id, true).await? {
            return Ok(Err(not_found("product", id)));
        }
        let visible = self.related_now(id).await?;
        if let Err(refused) = check_precondition(precondition, || tag_of(&visible)) {
            return Ok(Err(refused));
        }
        if !visible.contains(&related) {
            return Ok(Err(Rejection::NotFound(format!(
                "product {id} has no related link to product {related}"
            ))));
        }
        Prepared(
            diesel::sql_query("DELETE FROM related WHERE current_product_id = $1 AND related_product_id = $2")
                .bind::<Integer, _>(id)
                .bind::<Integer, _>(related),
        )
        .execute(self.conn)
        .await?;
        self.log(
            ChangeKind::RelatedRemoved,
            id,
            Some(json!({"related_id": related})),
            None,
        );
        self.touch(Touched::Related(id));
        Ok(Ok(Success::NoContent))
    }
}
