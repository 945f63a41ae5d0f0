//! Query paths of the PostgreSQL store against a real server, for random ids
//! over the whole id range: one product, styles, related, a random deep page.
//!
//! Needs `DATABASE_URL` pointing at an imported catalog (for example
//! `scripts/pg up`, then `catalog-http import --data DIR`); without it the
//! benchmark says so and measures nothing.

use std::hint::black_box;

use catalog_core::{CatalogStore, Page, ProductId};
use catalog_pg::{PgConfig, PgStore, StylesQuery};
use criterion::{Criterion, criterion_group, criterion_main};

fn queries(c: &mut Criterion) {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("pg_store: DATABASE_URL is not set; nothing measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = runtime
        .block_on(PgStore::connect(&PgConfig::new(&url)))
        .expect("connect to the catalog");
    let styles_stores: Vec<(&str, PgStore)> = [
        ("styles_pipelined", StylesQuery::Pipelined),
        ("styles_aggregated", StylesQuery::Aggregated),
        ("styles_read_model", StylesQuery::ReadModel),
    ]
    .into_iter()
    .map(|(name, styles_query)| {
        let config = PgConfig {
            styles_query,
            ..PgConfig::new(&url)
        };
        (
            name,
            runtime
                .block_on(PgStore::connect(&config))
                .expect("connect to the catalog"),
        )
    })
    .collect();
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
    for (name, styles_store) in &styles_stores {
        group.bench_function(*name, |b| {
            b.to_async(&runtime).iter(|| {
                let id = random_id();
                async move { black_box(styles_store.styles(id).await.ok()) }
            })
        });
    }
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
