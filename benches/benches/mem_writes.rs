//! Write paths of the memory store: an adjustment of a random SKU and of one
//! hot SKU, a batch of three, a product created and a product renamed, each
//! with its change-log entry. The catalog is generated once into
//! `target/bench-data/` (size from `BENCH_PRODUCTS`, default 100,000); the
//! store accumulates the writes, as a running service does.

use std::hint::black_box;

use catalog_benches::catalog_dir;
use catalog_core::write::{
    Adjustment, Batch, BatchItem, BodySkuId, Delta, NewProduct, NonEmpty, PriceText, ProductPatch, WriteContext,
    WriteOp, WriteRequest,
};
use catalog_core::{CatalogWriter, Price, ProductId, SkuId};
use catalog_mem::MemStore;
use catalog_source::RejectRecord;
use criterion::{Criterion, criterion_group, criterion_main};

fn request(op: WriteOp) -> WriteRequest {
    WriteRequest {
        op,
        context: WriteContext {
            token: "bench".into(),
            request_id: "bench".into(),
            ..WriteContext::default()
        },
    }
}

fn adjust(sku: i32, delta: i32) -> WriteRequest {
    let sku = SkuId::new(sku).expect("a SKU id");
    request(WriteOp::AdjustSku(
        sku,
        Adjustment {
            delta: Delta(delta),
            reason: None,
        },
    ))
}

fn writes(c: &mut Criterion) {
    let products = catalog_benches::bench_products();
    let mut rejects: Vec<RejectRecord> = Vec::new();
    let dir = catalog_dir(products, 0.0);
    let skus = std::fs::read_to_string(dir.join("skus.csv"))
        .expect("skus.csv")
        .lines()
        .count() as i32
        - 1;
    let (store, _) = MemStore::load(&dir, &mut rejects).expect("load the catalog");
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut rng = fastrand::Rng::with_seed(5);
    let store = &store;
    let mut sign = 1;

    let mut group = c.benchmark_group(format!("mem_writes/{products}_products"));
    group.bench_function("adjust_random_sku", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            let write = adjust(rng.i32(1..=skus), sign);
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("adjust_hot_sku", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            async move { black_box(store.write(adjust(1, sign)).await.expect("a write")) }
        })
    });
    group.bench_function("batch_of_three", |b| {
        b.to_async(&runtime).iter(|| {
            sign = -sign;
            let adjustments = (0..3)
                .map(|i| BatchItem {
                    sku_id: BodySkuId(SkuId::new(1 + i * 1000 % skus).expect("a SKU id")),
                    delta: Delta(sign),
                })
                .collect();
            let write = request(WriteOp::AdjustBatch(Batch {
                adjustments,
                reason: None,
            }));
            async move { black_box(store.write(write).await.expect("a write")) }
        })
    });
    group.bench_function("create_product", |b| {
        b.to_async(&runtime).iter(|| {
            let body = NewProduct {
                name: NonEmpty("Bench".into()),
                slogan: String::new(),
                description: String::new(),
                category: String::new(),
                default_price: PriceText(Price::from_cents(1999).expect("a price")),
                features: Vec::new(),
            };
            async move {
                black_box(
                    store
                        .write(request(WriteOp::CreateProduct(body)))
                        .await
                        .expect("a write"),
                )
            }
        })
    });
    group.bench_function("rename_random_product", |b| {
        b.to_async(&runtime).iter(|| {
            let id = ProductId::new(rng.i32(1..=products as i32)).expect("an id");
            let patch = ProductPatch {
                name: Some(NonEmpty(format!("Renamed {}", rng.u32(..)))),
                ..ProductPatch::default()
            };
            async move {
                black_box(
                    store
                        .write(request(WriteOp::UpdateProduct(id, patch)))
                        .await
                        .expect("a write"),
                )
            }
        })
    });
    group.finish();
}

criterion_group!(benches, writes);
criterion_main!(benches);
