//! SKU writes: create, set, adjust (one or a batch), delete.

use std::sync::LazyLock;

use catalog_core::SkuDetail;
use catalog_core::write::{
    Adjustment, Batch, ChangeKind, Diff, NewSku, Precondition, Rejection, Short, SkuPatch, Success, Touched,
    check_precondition, not_found, tag_of,
};
use diesel::sql_types::{Array, Integer, Text};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use serde_json::json;

use super::styles::{has_quantity_entry, quantity_patch};
use super::{Outcome, Tx, TxError};
use crate::prepared::Prepared;

/// A SKU with its style and product, as `GET /skus/:id` answers it.
#[derive(QueryableByName)]
pub(crate) struct SkuRow {
    #[diesel(sql_type = Integer)]
    sku_id: i32,
    #[diesel(sql_type = Integer)]
    style_id: i32,
    #[diesel(sql_type = Integer)]
    product_id: i32,
    #[diesel(sql_type = Text)]
    size: String,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}

impl From<SkuRow> for SkuDetail {
    fn from(row: SkuRow) -> SkuDetail {
        SkuDetail {
            sku_id: row.sku_id,
            style_id: row.style_id,
            product_id: row.product_id,
            size: row.size,
            quantity: row.quantity,
        }
    }
}

/// SKU `$1` with its style and product.
pub(crate) const DETAIL: &str = "SELECT k.id AS sku_id, k.style_id, s.product_id, k.size, k.quantity \
                      FROM skus k JOIN styles s ON s.id = k.style_id WHERE k.id = $1";

/// The largest quantity, as SQL.
const MAX_QUANTITY: i64 = i32::MAX as i64;

/// An adjustment in one statement: the conditional `UPDATE` of the SKU
/// (`$1`, by `$2`, staying within 0..=`$3`), then, fed by its row (so in the
/// lock order of every write: SKU, then styles row), the patch of its
/// quantity in the product's styles read model row (see
/// [`quantity_patch`](super::styles::quantity_patch)). No row back: refused,
/// or no such SKU.
static ADJUST: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH moved AS (\
           UPDATE skus k SET quantity = k.quantity + $2 FROM styles s \
           WHERE k.id = $1 AND s.id = k.style_id AND k.quantity::bigint + $2 BETWEEN 0 AND $3 \
           RETURNING k.id AS sku_id, k.style_id, s.product_id, k.size, k.quantity), \
         patched AS (\
           UPDATE product_styles p SET results = {} FROM moved \
           WHERE p.product_id = moved.product_id AND {} RETURNING p.product_id) \
         SELECT sku_id, style_id, product_id, size, quantity, EXISTS (SELECT FROM patched) AS patched FROM moved",
        quantity_patch("moved.sku_id", "moved.quantity"),
        has_quantity_entry("moved.sku_id")
    )
});

/// The row of [`ADJUST`]: the SKU after, and whether its styles row was
/// patched (if not, it is rendered again).
#[derive(QueryableByName)]
struct Moved {
    #[diesel(embed)]
    sku: SkuRow,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    patched: bool,
}

impl Tx<'_> {
    /// SKU `id`, its row locked.
    async fn locked_sku(&mut self, id: i32) -> Result<Option<SkuDetail>, TxError> {
        let row = Prepared(diesel::sql_query(format!("{DETAIL} FOR UPDATE OF k")).bind::<Integer, _>(id))
            .get_result::<SkuRow>(self.conn)
            .await
            .optional()?;
        Ok(row.map(SkuDetail::from))
    }

    fn log_sku(
        &mut self,
        kind: ChangeKind,
        sku: &SkuDetail,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> &mut super::Pending {
        let entry = self.log(kind, sku.product_id, before, after);
        entry.style_id = Some(sku.style_id);
        entry.sku_id = Some(sku.sku_id);
        entry
    }

    pub(super) async fn create_sku(&mut self, style_id: i32, body: &NewSku) -> Result<Outcome, TxError> {
        let Some(product) = self.style_product(style_id).await? else {
            return Ok(Err(not_found("style", style_id)));
        };
        if self.lock_styles(product).await?.is_none() || self.style_product(style_id).await?.is_none() {
            return Ok(Err(not_found("style", style_id)));
        }
        let row = Prepared(
            diesel::sql_query(
                "INSERT INTO skus (id, style_id, size, quantity) VALUES (nextval('catalog_meta.sku_ids'), $1, $2, $3) \
             RETURNING id AS sku_id, style_id, $4 AS product_id, size, quantity",
            )
            .bind::<Integer, _>(style_id)
            .bind::<Text, _>(&body.size.0)
            .bind::<Integer, _>(body.quantity.0)
            .bind::<Integer, _>(product),
        )
        .get_result::<SkuRow>(self.conn)
        .await?;
        let sku = SkuDetail::from(row);
        self.rebuild_styles(product).await?;
        let after = json!({"size": sku.size, "quantity": sku.quantity});
        self.log_sku(ChangeKind::SkuCreated, &sku, None, Some(after));
        self.touch(Touched::Styles(product));
        Ok(Ok(Success::Sku { created: true, sku }))
    }

    pub(super) async fn update_sku(
        &mut self,
        id: i32,
        patch: &SkuPatch,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        let Some(mut sku) = self.locked_sku(id).await? else {
            return Ok(Err(not_found("SKU", id)));
        };
        if let Err(refused) = check_precondition(precondition, || tag_of(&sku)) {
            return Ok(Err(refused));
        }
        let mut diff = Diff::default();
        if let Some(size) = &patch.size {
            diff.set("size", &mut sku.size, size.0.clone());
        }
        if let Some(quantity) = patch.quantity {
            diff.set("quantity", &mut sku.quantity, quantity.0);
        }
        if !diff.is_empty() {
            Prepared(
                diesel::sql_query("UPDATE skus SET size = $2, quantity = $3 WHERE id = $1")
                    .bind::<Integer, _>(id)
                    .bind::<Text, _>(&sku.size)
                    .bind::<Integer, _>(sku.quantity),
            )
            .execute(self.conn)
            .await?;
            self.rebuild_styles(sku.product_id).await?;
            let (before, after) = diff.into_values();
            self.log_sku(ChangeKind::SkuUpdated, &sku, Some(before), Some(after));
            self.touch(Touched::Styles(sku.product_id));
        }
        Ok(Ok(Success::Sku { created: false, sku }))
    }

    fn log_adjustment(&mut self, sku: &SkuDetail, before: i32, reason: Option<&str>) {
        let entry = self.log_sku(
            ChangeKind::SkuAdjusted,
            sku,
            Some(json!({"quantity": before})),
            Some(json!({"quantity": sku.quantity})),
        );
        entry.reason = reason.map(str::to_owned);
        self.touch(Touched::Styles(sku.product_id));
    }

    /// One conditional `UPDATE`: the quantity moves only if the result stays
    /// within 0..=i32::MAX; no row back means refused (or no such SKU).
    pub(super) async fn adjust(
        &mut self,
        id: i32,
        adjustment: &Adjustment,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        let delta = adjustment.delta.0;
        if precondition.is_some() {
            let Some(sku) = self.locked_sku(id).await? else {
                return Ok(Err(not_found("SKU", id)));
            };
            if let Err(refused) = check_precondition(precondition, || tag_of(&sku)) {
                return Ok(Err(refused));
            }
        }
        let moved = Prepared(
            diesel::sql_query(ADJUST.as_str())
                .bind::<Integer, _>(id)
                .bind::<Integer, _>(delta)
                .bind::<diesel::sql_types::BigInt, _>(MAX_QUANTITY),
        )
        .get_result::<Moved>(self.conn)
        .await
        .optional()?;
        let patched = moved.as_ref().is_some_and(|moved| moved.patched);
        let Some(sku) = moved.map(|moved| SkuDetail::from(moved.sku)) else {
            // Tell a missing SKU from a refused delta by the quantity now.
            let now = Prepared(diesel::sql_query(
                "SELECT k.id AS sku_id, k.style_id, 0 AS product_id, k.size, k.quantity FROM skus k WHERE k.id = $1",
            )
            .bind::<Integer, _>(id))
            .get_result::<SkuRow>(self.conn)
            .await
            .optional()?;
            return Ok(Err(match now {
                None => not_found("SKU", id),
                Some(now) if i64::from(now.quantity) + i64::from(delta) < 0 => Rejection::InsufficientStock {
                    available: now.quantity,
                },
                Some(_) => past_the_maximum("delta"),
            }));
        };
        if !patched {
            self.rebuild_styles(sku.product_id).await?;
        }
        self.log_adjustment(
            &sku,
            sku.quantity - delta,
            adjustment.reason.as_ref().map(|r| r.0.as_str()),
        );
        Ok(Ok(Success::Sku { created: false, sku }))
    }

    /// Locks the batch's SKUs in ascending id order (so batches in opposite
    /// orders never deadlock), decides all or none, then moves them all.
    pub(super) async fn adjust_batch(&mut self, batch: &Batch) -> Result<Outcome, TxError> {
        let ids: Vec<i32> = batch.adjustments.iter().map(|item| item.sku_id.0.get()).collect();
        let locked = Prepared(
            diesel::sql_query(
                "SELECT k.id AS sku_id, k.style_id, s.product_id, k.size, k.quantity \
             FROM skus k JOIN styles s ON s.id = k.style_id WHERE k.id = ANY($1) ORDER BY k.id FOR UPDATE OF k",
            )
            .bind::<Array<Integer>, _>(&ids),
        )
        .load::<SkuRow>(self.conn)
        .await?;
        let locked: std::collections::HashMap<i32, SkuDetail> = locked
            .into_iter()
            .map(|row| (row.sku_id, SkuDetail::from(row)))
            .collect();
        let mut short = Vec::new();
        let mut moved = Vec::with_capacity(ids.len());
        for (index, item) in batch.adjustments.iter().enumerate() {
            let id = item.sku_id.0.get();
            let Some(sku) = locked.get(&id) else {
                return Ok(Err(Rejection::Invalid {
                    field: format!("adjustments[{index}].sku_id"),
                    message: format!("SKU {id} not found"),
                }));
            };
            let after = i64::from(sku.quantity) + i64::from(item.delta.0);
            if after < 0 {
                short.push(Short {
                    sku_id: id,
                    available: sku.quantity,
                });
            } else if after > MAX_QUANTITY {
                return Ok(Err(past_the_maximum(&format!("adjustments[{index}].delta"))));
            } else {
                moved.push((sku.clone(), item.delta.0));
            }
        }
        if !short.is_empty() {
            return Ok(Err(Rejection::Short(short)));
        }
        let deltas: Vec<i32> = moved.iter().map(|(_, delta)| *delta).collect();
        let updated = Prepared(
            diesel::sql_query(
                "UPDATE skus k SET quantity = k.quantity + u.delta FROM unnest($1::int[], $2::int[]) AS u(id, delta) \
             WHERE k.id = u.id AND k.quantity::bigint + u.delta BETWEEN 0 AND $3",
            )
            .bind::<Array<Integer>, _>(&ids)
            .bind::<Array<Integer>, _>(&deltas)
            .bind::<diesel::sql_types::BigInt, _>(MAX_QUANTITY),
        )
        .execute(self.conn)
        .await?;
        if updated != ids.len() {
            return Err(TxError::Db(diesel::result::Error::RollbackTransaction));
        }
        let reason = batch.reason.as_ref().map(|r| r.0.as_str());
        let mut answered = Vec::with_capacity(moved.len());
        for (mut sku, delta) in moved {
            let before = sku.quantity;
            sku.quantity += delta;
            self.log_adjustment(&sku, before, reason);
            answered.push(sku);
        }
        // Patched in ascending product order, the lock order of every write.
        let mut patches: Vec<(i32, i32, i32)> = answered
            .iter()
            .map(|sku| (sku.product_id, sku.sku_id, sku.quantity))
            .collect();
        patches.sort_unstable();
        for (product, sku, quantity) in patches {
            self.patch_styles_quantity(product, sku, quantity).await?;
        }
        Ok(Ok(Success::Skus(answered)))
    }

    pub(super) async fn delete_sku(
        &mut self,
        id: i32,
        precondition: Option<&Precondition>,
    ) -> Result<Outcome, TxError> {
        let Some(sku) = self.locked_sku(id).await? else {
            return Ok(Err(not_found("SKU", id)));
        };
        if let Err(refused) = check_precondition(precondition, || tag_of(&sku)) {
            return Ok(Err(refused));
        }
        Prepared(diesel::sql_query("DELETE FROM skus WHERE id = $1").bind::<Integer, _>(id))
            .execute(self.conn)
            .await?;
        self.rebuild_styles(sku.product_id).await?;
        let before = json!({"size": sku.size, "quantity": sku.quantity});
        self.log_sku(ChangeKind::SkuDeleted, &sku, Some(before), None);
        self.touch(Touched::Styles(sku.product_id));
        Ok(Ok(Success::NoContent))
    }
}

/// A 422: the quantity would pass the largest one.
fn past_the_maximum(field: &str) -> Rejection {
    Rejection::Invalid {
        field: field.to_owned(),
        message: format!("would take the quantity past {}", i32::MAX),
    }
}
