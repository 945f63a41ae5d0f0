//! Write paths of the PostgreSQL store against a real server, one write at a
//! time on one connection, each a transaction with `synchronous_commit` on
//! (so a commit waits for its WAL flush, this machine's disk included): an
//! adjustment of a random SKU and of one hot SKU, the same with an
//! `Idempotency-Key` (its record kept in the same transaction), a batch of
//! three, and a refused sale (409: rolled back, no flush).
//!
//! Needs `DATABASE_URL` pointing at an imported catalog (for example
//! `scripts/pg up`, then `catalog-http import --data DIR`); without it the
//! benchmark says so and measures nothing. Deltas alternate −1 and +1, so the
//! quantities end where they started; every write adds its change-log entry.

use std::hint::black_box;

use catalog_core::write::{
    Adjustment, Batch, BatchItem, BodySkuId, Delta, IdempotencyKey, WriteContext, WriteOp, WriteRequest,
};
use catalog_core::{CatalogWriter, SkuId};
use catalog_pg::PgStore;
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/pg.rs"]
mod pg_setup;

fn request(op: WriteOp, idempotency: Option<IdempotencyKey>) -> WriteRequest {
    WriteRequest {
        op,
        context: WriteContext {
            token: "bench".into(),
            request_id: "bench".into(),
            idempotency,
            ..WriteContext::default()
        },
    }
}

fn adjust(sku: i32, delta: i32) -> WriteOp {
    WriteOp::AdjustSku(
        SkuId::new(sku).expect("a SKU id"),
        Adjustment {
            delta: Delta(delta),
            reason: None,
        },
    )
}

/// The largest SKU id of the catalog `store` serves.
async fn last_sku_id(store: &PgStore) -> i32 {
    // SKU ids are dense from 1 after an import: probe down from a bound.
    let (mut low, mut high) = (1, i32::MAX / 2);
    while low < high {
        let mid = low + (high - low + 1) / 2;
        if store.sku(SkuId::new(mid).expect("an id")).await.is_ok() {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

fn writes(c: &mut Criterion) {
    let Some((_url, runtime, store)) = pg_setup::connect("pg_writes") else {
        return;
    };
    let skus = runtime.block_on(last_sku_id(&store));
    let mut rng = fastrand::Rng::with_seed(5);
    let store = &store;
    let mut sign = 1;
    let mut keys = 0_u64;

    let mut group = c.benchmark_group(format!("pg_writes/{skus}_skus"));
    group.bench_function("adjust_random_sku", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            let write = request(adjust(rng.i32(1..=skus), sign), None);
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("adjust_hot_sku", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            let write = request(adjust(1, sign), None);
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("adjust_random_sku_with_key", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            keys += 1;
            let key = IdempotencyKey {
                key: format!("bench-{}-{keys}", std::process::id()),
                fingerprint: format!("{sign}"),
            };
            let write = request(adjust(rng.i32(1..=skus), sign), Some(key));
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("batch_of_three", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            let adjustments = (0..3)
                .map(|_| BatchItem {
                    sku_id: BodySkuId(SkuId::new(rng.i32(1..=skus)).expect("a SKU id")),
                    delta: Delta(sign),
                })
                .collect();
            let write = request(
                WriteOp::AdjustBatch(Batch {
                    adjustments,
                    reason: None,
                }),
                None,
            );
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("refused_sale", |b| {
        b.to_async(&runtime).iter(|| {
            let write = request(adjust(rng.i32(1..=skus), -i32::MAX), None);
            async move { black_box(store.write(write).await.expect("a refusal")) }
        })
    });
    group.finish();
}

criterion_group!(benches, writes);
criterion_main!(benches);
