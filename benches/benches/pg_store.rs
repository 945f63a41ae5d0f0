//! Query paths of the PostgreSQL store against a real server, for random ids
//! over the whole id range: one product, styles, related, a random deep page.
//! The styles route is measured in four forms: the service's (`styles_body`,
//! the read model's stored bytes), the typed read (`styles`, which decodes
//! them) serialized as the service did before `styles_body`, and the two
//! earlier queries (catalog-pg's feature `bench-styles-forms`; this bench
//! creates the `style_details` view they need).
//!
//! Needs `DATABASE_URL` pointing at an imported catalog (for example
//! `scripts/pg up`, then `catalog-http import --data DIR`); without it the
//! benchmark says so and measures nothing.

use std::hint::black_box;

use catalog_core::{CatalogStore, Page, ProductId};
use catalog_pg::{PgStore, create_style_details_view};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/pg.rs"]
mod pg_setup;

fn queries(c: &mut Criterion) {
    let Some((url, runtime, store)) = pg_setup::connect("pg_store") else {
        return;
    };
    create_style_details_view(&url).expect("create the style_details view");
    let max_id = runtime.block_on(last_product_id(&store));
    let mut rng = fastrand::Rng::with_seed(5);
    let store = &store;

    let mut group = c.benchmark_group(format!("pg_store/max_id_{max_id}"));
    let mut random_id = move || ProductId::new(rng.i32(1..=max_id)).expect("positive id");
    group.bench_function("product", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.product(id).await.ok()) }
        })
    });
    group.bench_function("styles_pipelined", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.styles_pipelined(id).await.ok()) }
        })
    });
    group.bench_function("styles_aggregated", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.styles_aggregated(id).await.ok()) }
        })
    });
    group.bench_function("styles_read_model_serialized", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.styles(id).await.ok().map(|styles| serde_json::to_vec(&styles))) }
        })
    });
    group.bench_function("styles_body", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.styles_body(id).await.ok()) }
        })
    });
    group.bench_function("related", |b| {
        b.to_async(&runtime).iter(|| {
            let id = random_id();
            async move { black_box(store.related(id).await.ok()) }
        })
    });
    group.bench_function("page_deep_random", |b| {
        b.to_async(&runtime).iter(|| {
            let page = Page::new(random_id().get() / 5 + 1, 5).expect("valid page");
            async move { black_box(store.products(page).await.expect("page")) }
        })
    });
    group.finish();
}

/// The largest product id, found by bisecting over pages of one product.
async fn last_product_id(store: &PgStore) -> i32 {
    let (mut low, mut high) = (1i32, i32::MAX / 1000);
    while low < high {
        let middle = low + (high - low + 1) / 2;
        let page = Page::new(middle, 1).expect("valid page");
        if store.products(page).await.expect("page").is_empty() {
            high = middle - 1
        } else {
            low = middle
        }
    }
    let last = store
        .products(Page::new(low, 1).expect("valid page"))
        .await
        .expect("page");
    last.first().map_or(1, |product| product.id)
}

criterion_group!(benches, queries);
criterion_main!(benches);
