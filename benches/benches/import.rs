//! Import rate: rows per second through the validating reader alone (a sink
//! that keeps nothing), and through the full memory-store load.

use std::hint::black_box;

use catalog_benches::catalog_dir;
use catalog_mem::MemStore;
use catalog_source::{DiscardRows, RejectRecord};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn import(c: &mut Criterion) {
    let products = catalog_benches::bench_products() / 4;
    let dir = catalog_dir(products, 0.001);
    let mut rejects: Vec<RejectRecord> = Vec::new();
    let report = catalog_source::import(&dir, &mut DiscardRows, &mut rejects).expect("import");
    let rows: u64 = report.files.iter().map(|file| file.read).sum();

    let mut group = c.benchmark_group(format!("import/{products}_products"));
    group.sample_size(10).throughput(Throughput::Elements(rows));
    group.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            let mut rejects: Vec<RejectRecord> = Vec::new();
            black_box(catalog_source::import(&dir, &mut DiscardRows, &mut rejects).expect("import"))
        })
    });
    group.bench_function("load_mem_store", |b| {
        b.iter(|| {
            let mut rejects: Vec<RejectRecord> = Vec::new();
            black_box(MemStore::load(&dir, &mut rejects).expect("load"))
        })
    });
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
