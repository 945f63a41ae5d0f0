//! Loading a catalog for the binary: from a directory or generated, with the
//! import report printed and rejects written.

use std::path::Path;

use anyhow::Context;
use catalog_mem::{MemStore, MemStoreBuilder};
use catalog_source::{DiscardRows, GenerateConfig, ImportReport, RejectFile, RowSink};

/// Loads the six files of `dir` into memory, writing rejects to `rejects`.
pub fn mem_from_dir(dir: &Path, rejects: &Path) -> anyhow::Result<MemStore> {
    let mut reject_file = RejectFile::new(rejects);
    let mut builder = MemStoreBuilder::new();
    let report = import(dir, &mut builder, &mut reject_file)?;
    print_report(&report, &reject_file);
    Ok(builder.build())
}

/// Generates a clean catalog of `products` products and loads it into memory.
pub fn mem_generated(products: u32, seed: u64) -> anyhow::Result<MemStore> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let config = GenerateConfig {
        products,
        seed,
        dirty_rate: 0.0,
    };
    catalog_source::generate(&config, dir.path()).context("cannot generate the sample catalog")?;
    let mut rejects = Vec::new();
    let (store, report) = MemStore::load(dir.path(), &mut rejects)?;
    anyhow::ensure!(
        rejects.is_empty(),
        "the generated catalog had {} rejected rows",
        rejects.len()
    );
    tracing::info!(
        products = store.product_count(),
        rows = report.files.iter().map(|f| f.accepted).sum::<u64>(),
        "generated a sample catalog"
    );
    Ok(store)
}

/// Validates the six files of `dir` without keeping them.
pub fn check(dir: &Path, rejects: &Path) -> anyhow::Result<ImportReport> {
    let mut reject_file = RejectFile::new(rejects);
    let report = import(dir, &mut DiscardRows, &mut reject_file)?;
    print_report(&report, &reject_file);
    Ok(report)
}

fn import(dir: &Path, sink: &mut dyn RowSink, rejects: &mut RejectFile) -> anyhow::Result<ImportReport> {
    let report = catalog_source::import_with_observer(dir, sink, rejects, &mut crate::progress::Progress::new())?;
    rejects
        .finish()
        .with_context(|| format!("cannot write {}", rejects.path().display()))?;
    Ok(report)
}

fn print_report(report: &ImportReport, rejects: &RejectFile) {
    eprint!("{report}");
    if rejects.written() > 0 {
        eprintln!(
            "{} rejected rows written to {}",
            rejects.written(),
            rejects.path().display()
        );
    }
}
