//! Shared setup of the criterion benchmarks in `benches/`: generated catalogs
//! cached under `target/bench-data/`, and a sink that keeps nothing.

use std::path::PathBuf;

use catalog_source::{
    FeatureRow, GenerateConfig, PhotoRow, ProductRow, RelatedRow, RowSink, SinkError, SkuRow,
    StyleRow,
};

/// Catalog size for the benchmarks: `BENCH_PRODUCTS`, default 100,000.
pub fn bench_products() -> u32 {
    std::env::var("BENCH_PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// A generated catalog of `products` products, made on first use and reused.
pub fn catalog_dir(products: u32, dirty_rate: f64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/bench-data/{products}-{dirty_rate}"));
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

/// A row sink that keeps nothing, to time the reader alone.
pub struct Discard;

impl RowSink for Discard {
    fn product(&mut self, _: &ProductRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn feature(&mut self, _: &FeatureRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn style(&mut self, _: &StyleRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn photo(&mut self, _: &PhotoRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn sku(&mut self, _: &SkuRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn related(&mut self, _: &RelatedRow) -> Result<(), SinkError> {
        Ok(())
    }
}
