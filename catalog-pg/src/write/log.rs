//! The change log and the idempotency records, in schema `catalog_meta`.
//!
//! **Entry order.** `seq` comes from a sequence, and sequences hand out
//! numbers in the order they are asked, not in commit order: a writer that
//! drew 41 may commit after one that drew 42, and a reader that paged past
//! 42 meanwhile would never see 41. The barrier closes that gap: every
//! writer takes [`CHANGES_BARRIER_KEY`] in shared mode (transaction level)
//! right before it draws its entries' `seq` and holds it to its commit; a
//! read of the log first takes the same key exclusively, in its own
//! transaction, which waits until every writer that drew a `seq` has
//! committed (and keeps new ones from drawing), and only then reads, in a
//! new snapshot: every `seq` drawn so far is visible to it, and every one
//! drawn later is greater than all it returned. Writers hold the barrier only
//! for their last statements, after their row locks, so they never wait for
//! a row while holding it; a read waits at most `lock_timeout` (then 503).

use std::sync::LazyLock;

use catalog_core::write::{
    ChangeEntry, ChangeKind, ChangePage, ChangeQuery, IdempotencyKey, WriteAnswer, WriteContext,
};
use catalog_core::{InternalKind, StoreError};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::{Pending, TxError};
use crate::ddl::{CHANGES_BARRIER_KEY, CHANGES_CHANNEL};
use crate::prepared::Prepared;

/// Longest a read of the change log waits for the writers in flight.
const READ_LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";

/// Every how many keyed writes one prunes the expired records.
const PRUNE_EVERY: u64 = 64;

/// The insert of a write's entries, which first takes the barrier (shared)
/// and queues the notification of [`CHANGES_CHANNEL`] (sent at commit, with
/// the writing instance's id as payload, so its own listener can skip it):
/// the `barrier` CTE is read before any row reaches the insert, so before
/// any entry draws its `seq` (the identity default is evaluated per inserted
/// row, above the sort that needs every row of the join first). One
/// statement, one round trip.
static APPEND: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH barrier AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared({CHANGES_BARRIER_KEY}), \
                                           pg_notify('{CHANGES_CHANNEL}', $10)) \
         INSERT INTO catalog_meta.changes (token, request_id, kind, product_id, style_id, sku_id, before, after, reason) \
         SELECT $1, $2, kind, product_id, style_id, sku_id, before::jsonb, after::jsonb, reason \
         FROM barrier, unnest($3::text[], $4::int[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[]) \
              WITH ORDINALITY AS e(kind, product_id, style_id, sku_id, before, after, reason, n) \
         ORDER BY n"
    )
});

/// Appends `entries` in order, under the barrier; `instance` writes them.
pub(super) async fn append(
    conn: &mut AsyncPgConnection,
    context: &WriteContext,
    instance: &str,
    entries: Vec<Pending>,
) -> Result<(), TxError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut kinds = Vec::with_capacity(entries.len());
    let (mut products, mut styles, mut skus) = (Vec::new(), Vec::new(), Vec::new());
    let (mut befores, mut afters, mut reasons) = (Vec::new(), Vec::new(), Vec::new());
    for entry in entries {
        kinds.push(kind_name(entry.kind));
        products.push(Some(entry.product_id));
        styles.push(entry.style_id);
        skus.push(entry.sku_id);
        befores.push(entry.before.map(|value| value.to_string()));
        afters.push(entry.after.map(|value| value.to_string()));
        reasons.push(entry.reason);
    }
    Prepared(
        diesel::sql_query(APPEND.as_str())
            .bind::<Text, _>(&context.token)
            .bind::<Text, _>(&context.request_id)
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<Nullable<Integer>>, _>(products)
            .bind::<Array<Nullable<Integer>>, _>(styles)
            .bind::<Array<Nullable<Integer>>, _>(skus)
            .bind::<Array<Nullable<Text>>, _>(befores)
            .bind::<Array<Nullable<Text>>, _>(afters)
            .bind::<Array<Nullable<Text>>, _>(reasons)
            .bind::<Text, _>(instance),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The name of `kind` in the log (its serde form).
fn kind_name(kind: ChangeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    at: String,
    #[diesel(sql_type = Text)]
    token: String,
    #[diesel(sql_type = Text)]
    request_id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Integer>)]
    product_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    style_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    sku_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    before: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    after: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
}

fn malformed(err: impl Into<catalog_core::BoxError>) -> TxError {
    StoreError::internal(InternalKind::MalformedData, err).into()
}

impl EntryRow {
    fn entry(self) -> Result<ChangeEntry, TxError> {
        let value = |text: Option<String>| text.map(|text| serde_json::from_str(&text)).transpose();
        Ok(ChangeEntry {
            seq: self.seq,
            at: self.at,
            token: self.token,
            request_id: self.request_id,
            kind: serde_json::from_value(serde_json::Value::String(self.kind)).map_err(malformed)?,
            product_id: self.product_id,
            style_id: self.style_id,
            sku_id: self.sku_id,
            before: value(self.before).map_err(malformed)?,
            after: value(self.after).map_err(malformed)?,
            reason: self.reason,
        })
    }
}

/// One page of the log, read behind the barrier (in its own transaction).
pub(super) async fn read(conn: &mut AsyncPgConnection, query: ChangeQuery) -> Result<ChangePage, TxError> {
    conn.batch_execute(&format!(
        "{READ_LOCK_TIMEOUT}; SELECT pg_advisory_xact_lock({CHANGES_BARRIER_KEY})"
    ))
    .await?;
    let rows = Prepared(
        diesel::sql_query(
            "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, token, request_id, \
                kind, product_id, style_id, sku_id, before::text AS before, after::text AS after, reason \
         FROM catalog_meta.changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind::<BigInt, _>(query.after)
        .bind::<BigInt, _>(i64::from(query.limit)),
    )
    .load::<EntryRow>(conn)
    .await?;
    let changes = rows.into_iter().map(EntryRow::entry).collect::<Result<Vec<_>, _>>()?;
    let next = changes.last().map_or(query.after, |entry| entry.seq);
    Ok(ChangePage { changes, next })
}

/// The last entry's `seq` (0 if none), read behind the barrier like a page
/// (so no entry committed later has a lower one).
pub(super) async fn last(conn: &mut AsyncPgConnection) -> Result<i64, TxError> {
    conn.batch_execute(&format!(
        "{READ_LOCK_TIMEOUT}; SELECT pg_advisory_xact_lock({CHANGES_BARRIER_KEY})"
    ))
    .await?;
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let last = Prepared(diesel::sql_query(
        "SELECT coalesce(max(seq), 0) AS seq FROM catalog_meta.changes",
    ))
    .get_result::<Last>(conn)
    .await?;
    Ok(last.seq)
}

/// A kept first answer.
#[derive(QueryableByName)]
pub(super) struct Record {
    #[diesel(sql_type = Text)]
    pub(super) fingerprint: String,
    #[diesel(sql_type = Text)]
    pub(super) answer: String,
}

/// The record of `key` under `token`, if one is kept.
pub(super) async fn record(conn: &mut AsyncPgConnection, token: &str, key: &str) -> Result<Option<Record>, TxError> {
    let found = Prepared(
        diesel::sql_query("SELECT fingerprint, answer FROM catalog_meta.idempotency WHERE token = $1 AND key = $2")
            .bind::<Text, _>(token)
            .bind::<Text, _>(key),
    )
    .get_result::<Record>(conn)
    .await
    .optional()?;
    Ok(found)
}

/// Keeps `answer` as the first answer to `key` under `token`; now and then
/// forgets records older than 24 h (the contract keeps them at least that).
pub(super) async fn keep(
    conn: &mut AsyncPgConnection,
    token: &str,
    key: &IdempotencyKey,
    answer: &WriteAnswer,
) -> Result<(), TxError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEPT: AtomicU64 = AtomicU64::new(0);
    let answer = serde_json::to_string(answer).map_err(|err| StoreError::internal(InternalKind::Encoding, err))?;
    Prepared(
        diesel::sql_query(
            "INSERT INTO catalog_meta.idempotency (token, key, fingerprint, answer) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (token, key) DO UPDATE SET fingerprint = excluded.fingerprint, answer = excluded.answer, \
         created_at = excluded.created_at",
        )
        .bind::<Text, _>(token)
        .bind::<Text, _>(&key.key)
        .bind::<Text, _>(&key.fingerprint)
        .bind::<Text, _>(answer),
    )
    .execute(conn)
    .await?;
    if KEPT.fetch_add(1, Ordering::Relaxed).is_multiple_of(PRUNE_EVERY) {
        conn.batch_execute(
            "DELETE FROM catalog_meta.idempotency WHERE ctid IN (SELECT ctid FROM catalog_meta.idempotency \
             WHERE created_at < now() - interval '24 hours' ORDER BY created_at LIMIT 1000)",
        )
        .await?;
    }
    Ok(())
}
