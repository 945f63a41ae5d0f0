//! Query paths of the memory store: one product, a product's styles, related
//! ids, the first page and a page at a random deep offset, for random ids over
//! the whole range. The catalog is generated once into `target/bench-data/`
//! (size from `BENCH_PRODUCTS`, default 100,000).

use std::hint::black_box;

use catalog_benches::catalog_dir;
use catalog_core::{CatalogStore, Page, ProductId};
use catalog_mem::MemStore;
use catalog_source::RejectRecord;
use criterion::{Criterion, criterion_group, criterion_main};

fn queries(c: &mut Criterion) {
    let products = catalog_benches::bench_products();
    let mut rejects: Vec<RejectRecord> = Vec::new();
    let (store, _) = MemStore::load(&catalog_dir(products, 0.0), &mut rejects).expect("load the catalog");
    let ids: Vec<ProductId> = (0..store.product_count())
        .filter_map(|p| store.product_id_at(p))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut rng = fastrand::Rng::with_seed(3);
    let store = &store;

    let mut group = c.benchmark_group(format!("mem_store/{products}_products"));
    group.bench_function("product", |b| {
        b.to_async(&runtime).iter(|| {
            let id = ids[rng.usize(..ids.len())];
            async move { black_box(store.product(id).await.expect("product")) }
        })
    });
    group.bench_function("styles", |b| {
        b.to_async(&runtime).iter(|| {
            let id = ids[rng.usize(..ids.len())];
            async move { black_box(store.styles(id).await.expect("styles")) }
        })
    });
    group.bench_function("related", |b| {
        b.to_async(&runtime).iter(|| {
            let id = ids[rng.usize(..ids.len())];
            async move { black_box(store.related(id).await.expect("related")) }
        })
    });
    group.bench_function("page_first", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(store.products(Page::default()).await.expect("page")) })
    });
    let last_page = (ids.len() / 5) as i32;
    group.bench_function("page_deep_random", |b| {
        b.to_async(&runtime).iter(|| {
            let page = Page::new(rng.i32(last_page / 2..=last_page), 5).expect("valid page");
            async move { black_box(store.products(page).await.expect("page")) }
        })
    });
    group.bench_function("styles_to_json", |b| {
        b.to_async(&runtime).iter(|| {
            let id = ids[rng.usize(..ids.len())];
            async move { black_box(serde_json::to_vec(&store.styles(id).await.expect("styles")).expect("json")) }
        })
    });
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
