//! The write side of the catalog: the [`CatalogWriter`] trait beside
//! [`CatalogStore`](crate::CatalogStore), the operations it runs, and what a
//! write answers and changes.
//!
//! A write is one [`WriteRequest`]: an operation with its parsed body, and
//! the context of the call (the token's name, the request id, an
//! `Idempotency-Key`, an `If-Match` precondition). The store runs it
//! atomically, records its change-log entries in the same step, and returns
//! [`Written`]: the contract's answer, already rendered (so an idempotent
//! replay is the first answer byte for byte), and the [`Touched`] answers,
//! so caches drop exactly those and never guess.
//!
//! ```
//! use catalog_core::write::{parse, Adjustment, BodyError};
//!
//! let adjustment: Adjustment = parse(br#"{"delta": -2, "reason": "order 1001"}"#).unwrap();
//! assert_eq!(adjustment.delta.0, -2);
//! let refused = parse::<Adjustment>(br#"{"delta": 0}"#).unwrap_err();
//! assert!(matches!(refused, BodyError::Invalid { ref field, .. } if field == "delta"));
//! ```

mod answer;
mod apply;
mod body;
mod change;
mod scope;

use async_trait::async_trait;

pub use answer::{Rejection, Short, Success, Touched, WriteAnswer, Written};
pub use apply::{Diff, check_precondition, features, json_of, not_found, photos, style_json, tag_of};
pub use body::{
    Adjustment, Batch, BatchItem, Body, BodyError, BodySkuId, Delta, HttpUrl, MAX_BATCH_LEN, MAX_LIST_LEN,
    MAX_REASON_CHARS, NewFeature, NewPhoto, NewProduct, NewSku, NewStyle, NonEmpty, PriceText, ProductPatch, Quantity,
    Reason, SkuPatch, StylePatch, parse,
};
pub use change::{ChangeEntry, ChangeKind, ChangePage, ChangeQuery, MAX_CHANGES_LIMIT, now_rfc3339};
pub use scope::{ParseScopeError, Scope};

use crate::{ProductId, SkuDetail, SkuId, StoreError, StyleId};

/// One write the contract allows, with its parsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// `POST /products`.
    CreateProduct(NewProduct),
    /// `PATCH /products/:id`.
    UpdateProduct(ProductId, ProductPatch),
    /// `DELETE /products/:id`.
    DeleteProduct(ProductId),
    /// `POST /products/:id/styles`.
    CreateStyle(ProductId, NewStyle),
    /// `PATCH /styles/:style_id`.
    UpdateStyle(StyleId, StylePatch),
    /// `DELETE /styles/:style_id`.
    DeleteStyle(StyleId),
    /// `POST /styles/:style_id/skus`.
    CreateSku(StyleId, NewSku),
    /// `PATCH /skus/:sku_id`.
    UpdateSku(SkuId, SkuPatch),
    /// `POST /skus/:sku_id/adjustments`.
    AdjustSku(SkuId, Adjustment),
    /// `POST /adjustments`.
    AdjustBatch(Batch),
    /// `DELETE /skus/:sku_id`.
    DeleteSku(SkuId),
    /// `PUT /products/:id/related/:related_id`.
    AddRelated(ProductId, ProductId),
    /// `DELETE /products/:id/related/:related_id`.
    RemoveRelated(ProductId, ProductId),
}

const CATALOG: &[Scope] = &[Scope::CatalogWrite];
const INVENTORY: &[Scope] = &[Scope::InventoryWrite];
const BOTH: &[Scope] = &[Scope::CatalogWrite, Scope::InventoryWrite];

impl WriteOp {
    /// The scopes a token needs for this operation (all of them).
    pub fn required_scopes(&self) -> &'static [Scope] {
        match self {
            WriteOp::AdjustSku(..) | WriteOp::AdjustBatch(..) => INVENTORY,
            WriteOp::UpdateSku(_, patch) => match (patch.size.is_some(), patch.quantity.is_some()) {
                (true, true) => BOTH,
                (false, true) => INVENTORY,
                _ => CATALOG,
            },
            _ => CATALOG,
        }
    }

    /// Whether the operation refuses to run without `If-Match` (a blind
    /// overwrite of a quantity loses the sales made since it was read: 428).
    pub fn requires_precondition(&self) -> bool {
        matches!(self, WriteOp::UpdateSku(_, patch) if patch.quantity.is_some())
    }
}

/// An `If-Match` header, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: *`: the resource must exist.
    Any,
    /// The resource's current tag must be one of these (identity tags,
    /// quoted, a coding's suffix already taken off; weak tags never match).
    Tags(Vec<String>),
}

impl Precondition {
    /// Whether a resource whose current tag is `current` passes.
    pub fn allows(&self, current: &str) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Tags(tags) => tags.iter().any(|tag| tag == current),
        }
    }
}

/// An `Idempotency-Key` with what identifies the request it was first sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key as the client sent it (1 to 255 visible ASCII characters).
    pub key: String,
    /// A hash of the method, path and body of the request: the same key with
    /// another fingerprint is a 422.
    pub fingerprint: String,
}

/// Who asks for a write, and on what conditions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteContext {
    /// The name of the token that authorized it (for the change log and
    /// the idempotency records' scope).
    pub token: String,
    /// The request's id, for the change log.
    pub request_id: String,
    /// The request's `Idempotency-Key`, for `POST` routes.
    pub idempotency: Option<IdempotencyKey>,
    /// The request's `If-Match`.
    pub precondition: Option<Precondition>,
}

/// A write to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// What to do.
    pub op: WriteOp,
    /// Who asks, and on what conditions.
    pub context: WriteContext,
}

/// Why a write was not run (the answers of writes that ran, errors
/// included, are in [`Written`]).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A request with the same `Idempotency-Key` is still running (409).
    #[error("a request with this Idempotency-Key is still in progress; retry after it has finished")]
    KeyInProgress,
    /// The key was first used with another route or body (422).
    #[error("this Idempotency-Key was already used with another request; use a new key for a new request")]
    KeyReused,
    /// The store could not run the write (503 or 500); nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The write side of a store: runs writes and serves the routes that only
/// writers need (`GET /skus/:id`, the change log).
///
/// Every write is atomic: it runs whole or not at all, appends its change-log
/// entries in the same step, and is visible to every read that starts after
/// it returns. Read-only embedders implement [`CatalogStore`](crate::CatalogStore) alone.
#[async_trait]
pub trait CatalogWriter: Send + Sync {
    /// Runs `request`. A write the contract answers with a client error (404,
    /// 409, 412, 422) is `Ok` too, with that answer, so an idempotent repeat
    /// replays it; `Err` means it did not run at all.
    async fn write(&self, request: WriteRequest) -> Result<Written, WriteError>;

    /// One SKU with its style and product, as `GET /skus/:sku_id` answers;
    /// [`StoreError::SkuNotFound`] when there is none.
    async fn sku(&self, id: SkuId) -> Result<SkuDetail, StoreError>;

    /// The change log's entries after `query.after`, in `seq` order.
    async fn changes(&self, query: ChangeQuery) -> Result<ChangePage, StoreError>;

    /// The `seq` of the log's last entry (0 if none), such that no entry
    /// committed later has a lower one: where a follower of the log starts.
    /// The default pages through the whole log; stores override it.
    async fn last_seq(&self) -> Result<i64, StoreError> {
        let mut after = 0;
        loop {
            let page = self
                .changes(ChangeQuery {
                    after,
                    limit: MAX_CHANGES_LIMIT,
                })
                .await?;
            if page.changes.is_empty() {
                return Ok(after);
            }
            after = page.next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantity_needs_inventory_a_size_needs_catalog() {
        let patch = |size: bool, quantity: bool| {
            WriteOp::UpdateSku(
                SkuId::new(1).unwrap(),
                SkuPatch {
                    size: size.then(|| NonEmpty("M".into())),
                    quantity: quantity.then_some(Quantity(1)),
                },
            )
        };
        assert_eq!(patch(true, false).required_scopes(), CATALOG);
        assert_eq!(patch(false, true).required_scopes(), INVENTORY);
        assert_eq!(patch(true, true).required_scopes(), BOTH);
        assert!(patch(false, true).requires_precondition());
        assert!(!patch(true, false).requires_precondition());
    }

    #[test]
    fn a_precondition_matches_current_tags_only() {
        assert!(Precondition::Any.allows("\"a\""));
        let tags = Precondition::Tags(vec!["\"a\"".into(), "\"b\"".into()]);
        assert!(tags.allows("\"b\""));
        assert!(!tags.allows("\"c\""));
    }
}
