//! Loading a catalog into memory: from a directory or generated, with the
//! import report printed and rejects written.

use std::path::Path;

use catalog_mem::{MemStore, MemStoreBuilder};
use catalog_source::{DiscardRows, GenerateConfig, ImportReport, RejectFile, RowSink};

use super::AppError;
use super::progress::Progress;

/// Loads the six files of `dir` into memory, writing rejects to `rejects`.
pub fn mem_from_dir(dir: &Path, rejects: &Path) -> Result<MemStore, AppError> {
    let mut reject_file = RejectFile::new(rejects);
    let mut builder = MemStoreBuilder::new();
    let report = import(dir, &mut builder, &mut reject_file)?;
    print_report(&report, &reject_file);
    Ok(builder.build())
}

/// Generates a clean catalog of `products` products and loads it into memory.
pub fn mem_generated(products: u32, seed: u64) -> Result<MemStore, AppError> {
    let dir = tempfile::tempdir().map_err(AppError::Generate)?;
    let config = GenerateConfig {
        products,
        seed,
        dirty_rate: 0.0,
    };
    catalog_source::generate(&config, dir.path()).map_err(AppError::Generate)?;
    let mut rejects = Vec::new();
    let (store, report) = MemStore::load(dir.path(), &mut rejects)?;
    if !rejects.is_empty() {
        return Err(AppError::GeneratedRejects(rejects.len()));
    }
    tracing::info!(
        products = store.product_count(),
        rows = report.files.iter().map(|f| f.accepted).sum::<u64>(),
        "generated a sample catalog"
    );
    Ok(store)
}

/// Validates the six files of `dir` without keeping them.
pub fn check(dir: &Path, rejects: &Path) -> Result<ImportReport, AppError> {
    let mut reject_file = RejectFile::new(rejects);
    let report = import(dir, &mut DiscardRows, &mut reject_file)?;
    print_report(&report, &reject_file);
    Ok(report)
}

fn import(dir: &Path, sink: &mut dyn RowSink, rejects: &mut RejectFile) -> Result<ImportReport, AppError> {
    let report = catalog_source::import_with_observer(dir, sink, rejects, &mut Progress::new())?;
    rejects.finish().map_err(|source| AppError::Rejects {
        path: rejects.path().to_owned(),
        source,
    })?;
    Ok(report)
}

/// Prints `report` and where the rejects went to standard error.
pub fn print_report(report: &ImportReport, rejects: &RejectFile) {
    eprint!("{report}");
    if rejects.written() > 0 {
        eprintln!(
            "{} rejected rows written to {}",
            rejects.written(),
            rejects.path().display()
        );
    }
}
