//! [`CatalogWriter`] for [`PgStore`]: every write is one transaction on the
//! primary with `synchronous_commit = on` (see [`Pools::transact`]).
//!
//! A write transaction, in order:
//! 1. tries the import's write gate in shared mode without waiting
//!    ([`WRITE_GATE_KEY`]; an import holds it exclusively for its whole run):
//!    not free is [`UnavailableKind::ImportRunning`], a 503 with
//!    `Retry-After`, and nothing ran;
//! 2. with an `Idempotency-Key`, tries a transaction-level advisory lock on
//!    the hash of the token and key (held: [`WriteError::KeyInProgress`]),
//!    then looks the key up: a record with another fingerprint is
//!    [`WriteError::KeyReused`], one with the same is replayed;
//! 3. runs the operation (inside a savepoint when there is a key: a refusal
//!    rolls back to it and its answer is still recorded, so 4xx answers
//!    replay too; without a key a refusal rolls the transaction back);
//! 4. appends its change-log entries (see [`log`]) and the key's record, and
//!    commits.
//!
//! Locks are taken in one global order, so writes never deadlock: SKU rows
//! (ascending id), then the products' `product_styles` rows (ascending
//! product id), then product rows. Adjustments are one conditional `UPDATE
//! ... WHERE quantity + delta BETWEEN 0 AND i32::MAX`; a
//! `CHECK (quantity >= 0)` backs it. Every write that changes styles, photos or SKUs rebuilds
//! its product's `product_styles` row (`product_styles_render`, the SQL
//! shared with the import) in the same transaction.

mod log;
mod products;
mod skus;
mod styles;

use std::sync::Arc;

use async_trait::async_trait;
use catalog_core::write::{
    ChangeKind, ChangePage, ChangeQuery, Precondition, Rejection, Success, Touched, WriteAnswer, WriteError, WriteOp,
    WriteRequest, Written,
};
use catalog_core::{CatalogWriter, SkuDetail, SkuId, StoreError, UnavailableKind};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use serde_json::Value;

use crate::ddl::WRITE_GATE_KEY;
use crate::error::read_error;
use crate::prepared::Prepared;
use crate::store::PgStore;

#[cfg(doc)]
use crate::pool::Pools;

/// Why a write transaction stopped; it is rolled back in every case.
pub(crate) enum TxError {
    /// A query failed.
    Db(diesel::result::Error),
    /// The store could not run it, or the key says not to.
    Refused(WriteError),
    /// The operation was refused after looking at the data, with no key to
    /// record its answer under: answered, nothing kept.
    Rejected(Rejection),
}

impl From<diesel::result::Error> for TxError {
    fn from(err: diesel::result::Error) -> TxError {
        TxError::Db(err)
    }
}

impl From<StoreError> for TxError {
    fn from(err: StoreError) -> TxError {
        TxError::Refused(WriteError::Store(err))
    }
}

/// What an operation gives: its success or the contract's refusal.
pub(crate) type Outcome = Result<Success, Rejection>;

/// A change-log entry before it has its `seq` and time.
pub(crate) struct Pending {
    pub(crate) kind: ChangeKind,
    pub(crate) product_id: i32,
    pub(crate) style_id: Option<i32>,
    pub(crate) sku_id: Option<i32>,
    pub(crate) before: Option<Value>,
    pub(crate) after: Option<Value>,
    pub(crate) reason: Option<String>,
}

/// One write being run on its transaction's connection: its pending
/// entries and what it touched.
pub(crate) struct Tx<'c> {
    pub(crate) conn: &'c mut AsyncPgConnection,
    entries: Vec<Pending>,
    touched: Vec<Touched>,
}

#[derive(QueryableByName)]
struct Locks {
    #[diesel(sql_type = Bool)]
    gate: bool,
    #[diesel(sql_type = Bool)]
    key: bool,
}

impl<'c> Tx<'c> {
    fn new(conn: &'c mut AsyncPgConnection) -> Tx<'c> {
        Tx {
            conn,
            entries: Vec::new(),
            touched: Vec::new(),
        }
    }

    async fn run(&mut self, op: &WriteOp, precondition: Option<&Precondition>) -> Result<Outcome, TxError> {
        Ok(match op {
            WriteOp::CreateProduct(body) => self.create_product(body).await?,
            WriteOp::UpdateProduct(id, patch) => self.update_product(id.get(), patch, precondition).await?,
            WriteOp::DeleteProduct(id) => self.delete_product(id.get(), precondition).await?,
            WriteOp::CreateStyle(id, body) => self.create_style(id.get(), body).await?,
            WriteOp::UpdateStyle(id, patch) => self.update_style(id.get(), patch, precondition).await?,
            WriteOp::DeleteStyle(id) => self.delete_style(id.get(), precondition).await?,
            WriteOp::CreateSku(id, body) => self.create_sku(id.get(), body).await?,
            WriteOp::UpdateSku(id, patch) => self.update_sku(id.get(), patch, precondition).await?,
            WriteOp::AdjustSku(id, adjustment) => self.adjust(id.get(), adjustment, precondition).await?,
            WriteOp::AdjustBatch(batch) => self.adjust_batch(batch).await?,
            WriteOp::DeleteSku(id) => self.delete_sku(id.get(), precondition).await?,
            WriteOp::AddRelated(id, related) => self.add_related(id.get(), related.get()).await?,
            WriteOp::RemoveRelated(id, related) => self.remove_related(id.get(), related.get(), precondition).await?,
        })
    }

    /// Notes an entry to append; returns it to fill in its ids.
    pub(crate) fn log(
        &mut self,
        kind: ChangeKind,
        product_id: i32,
        before: Option<Value>,
        after: Option<Value>,
    ) -> &mut Pending {
        self.entries.push(Pending {
            kind,
            product_id,
            style_id: None,
            sku_id: None,
            before,
            after,
            reason: None,
        });
        let last = self.entries.len() - 1;
        &mut self.entries[last]
    }

    /// Notes an answer the write made stale.
    pub(crate) fn touch(&mut self, touched: Touched) {
        if !self.touched.contains(&touched) {
            self.touched.push(touched);
        }
    }
}

/// The advisory-lock key of `key` under `token` (length-prefixed, so no two
/// pairs give the same text).
fn key_text(token: &str, key: &str) -> String {
    format!("idempotency:{}:{token}:{key}", token.len())
}

/// The whole write transaction of `request` on `conn`, by `instance`.
async fn run_write(conn: &mut AsyncPgConnection, instance: &str, request: WriteRequest) -> Result<Written, TxError> {
    let context = &request.context;
    let key_lock = context
        .idempotency
        .as_ref()
        .map(|key| key_text(&context.token, &key.key));
    let locks = Prepared(
        diesel::sql_query(
            "SELECT pg_try_advisory_xact_lock_shared($1) AS gate, \
         coalesce(pg_try_advisory_xact_lock(hashtextextended($2, 0)), true) AS key",
        )
        .bind::<BigInt, _>(WRITE_GATE_KEY)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(key_lock),
    )
    .get_result::<Locks>(conn)
    .await?;
    if !locks.gate {
        return Err(StoreError::unavailable(UnavailableKind::ImportRunning, "an import holds the write gate").into());
    }
    if !locks.key {
        return Err(TxError::Refused(WriteError::KeyInProgress));
    }
    if let Some(key) = &context.idempotency {
        if let Some(record) = log::record(conn, &context.token, &key.key).await? {
            if record.fingerprint != key.fingerprint {
                return Err(TxError::Refused(WriteError::KeyReused));
            }
            let answer: WriteAnswer = serde_json::from_str(&record.answer)
                .map_err(|err| StoreError::internal(catalog_core::InternalKind::MalformedData, err))?;
            return Ok(Written {
                answer,
                replayed: true,
                touched: Vec::new(),
            });
        }
        conn.batch_execute("SAVEPOINT write_op").await?;
    }
    let mut tx = Tx::new(conn);
    let outcome = tx.run(&request.op, context.precondition.as_ref()).await?;
    let Tx { conn, entries, touched } = tx;
    let touched = match &outcome {
        Ok(_) => {
            log::append(conn, context, instance, entries).await?;
            touched
        }
        Err(rejection) => {
            if context.idempotency.is_none() {
                return Err(TxError::Rejected(rejection.clone()));
            }
            conn.batch_execute("ROLLBACK TO SAVEPOINT write_op").await?;
            Vec::new()
        }
    };
    let answer = WriteAnswer::of(&outcome);
    if let Some(key) = &context.idempotency {
        log::keep(conn, &context.token, key, &answer).await?;
    }
    Ok(Written {
        answer,
        replayed: false,
        touched,
    })
}

#[async_trait]
impl CatalogWriter for PgStore {
    async fn write(&self, request: WriteRequest) -> Result<Written, WriteError> {
        let instance = Arc::clone(&self.instance);
        let ran = self
            .pools
            .transact(move |conn| async move { run_write(conn, &instance, request).await }.boxed())
            .await;
        match ran {
            Ok(written) => {
                // Read your writes through replicas (see `routing`).
                if !written.touched.is_empty() {
                    self.pools.fence_after_write().await;
                }
                Ok(written)
            }
            Err(TxError::Rejected(rejection)) => Ok(Written {
                answer: WriteAnswer::of(&Err(rejection)),
                replayed: false,
                touched: Vec::new(),
            }),
            Err(TxError::Refused(err)) => Err(err),
            Err(TxError::Db(err)) => Err(WriteError::Store(read_error(err).into())),
        }
    }

    async fn sku(&self, id: SkuId) -> Result<SkuDetail, StoreError> {
        let found = self
            .pools
            .read_primary(move |conn| {
                Prepared(diesel::sql_query(skus::DETAIL).bind::<diesel::sql_types::Integer, _>(id.get()))
                    .get_result::<skus::SkuRow>(&mut &*conn)
                    .map(diesel::OptionalExtension::optional)
                    .boxed()
            })
            .await?;
        found.map(SkuDetail::from).ok_or(StoreError::SkuNotFound(id.get()))
    }

    /// Reads after taking the change log's barrier exclusively (see [`log`]).
    /// Entries read fence this store's reads as its own writes do: until the
    /// replicas have replayed past them, reads go to the primary, so a
    /// follower that drops what they touched never refills its cache from a
    /// replica that has not replayed them.
    async fn changes(&self, query: ChangeQuery) -> Result<ChangePage, StoreError> {
        let ran = self.pools.transact(move |conn| log::read(conn, query).boxed()).await;
        let page = ran.map_err(log_error)?;
        if !page.changes.is_empty() {
            self.pools.fence_after_write().await;
        }
        Ok(page)
    }

    /// Reads behind the barrier, as [`changes`](Self::changes) does.
    async fn last_seq(&self) -> Result<i64, StoreError> {
        let ran = self.pools.transact(move |conn| log::last(conn).boxed()).await;
        ran.map_err(log_error)
    }
}

/// The error of a read of the change log.
fn log_error(err: TxError) -> StoreError {
    match err {
        TxError::Db(err) => read_error(err).into(),
        TxError::Refused(WriteError::Store(err)) => err,
        TxError::Refused(err) => StoreError::internal(catalog_core::InternalKind::Query, err.to_string()),
        TxError::Rejected(_) => StoreError::internal(catalog_core::InternalKind::Query, "refused"),
    }
}
