//! Shared setup of the criterion benchmarks in `benches/`: generated catalogs
//! cached under `target/bench-data/`.

use std::path::PathBuf;

use catalog_source::GenerateConfig;

/// Catalog size for the benchmarks: `BENCH_PRODUCTS`, default 100,000.
pub fn bench_products() -> u32 {
    std::env::var("BENCH_PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// A generated catalog of `products` products, made on first use and reused.
pub fn catalog_dir(products: u32, dirty_rate: f64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/bench-data/{products}-{dirty_rate}"));
    if !dir.join("dirty.csv").exists() {
        let config = GenerateConfig {
            products,
            seed: 1,
            dirty_rate,
        };
        catalog_source::generate(&config, &dir).expect("generate the bench catalog");
    }
    dir
}
