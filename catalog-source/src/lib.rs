//! The catalog's source format: six CSV files (see `shared/contract.md`).
//!
//! - [`import`] streams a source directory through the contract's import
//!   rules, hands accepted rows to any [`RowSink`] (the memory store, a
//!   PostgreSQL `COPY`), sends every refused row to a [`RejectSink`] with its
//!   file, line, reason and raw text, and returns an [`ImportReport`] where
//!   each file's rows read = accepted + rejected.
//! - [`RejectKind`] names each kind of [`RejectReason`] with a stable string
//!   (`invalid_price`, `duplicate_id`, …), the one used by the rejects file,
//!   the report and the generator's manifest.
//! - [`generate()`] writes a deterministic synthetic catalog in the same
//!   format, optionally with the known kinds of dirty rows, and records
//!   exactly which lines it made dirty.
//!
//! ```
//! use catalog_source::{generate, import, GenerateConfig, RejectRecord, RowSink, SinkError};
//! use catalog_source::{FeatureRow, PhotoRow, ProductRow, RelatedRow, SkuRow, StyleRow};
//!
//! #[derive(Default)]
//! struct Count(u64);
//! impl RowSink for Count {
//!     fn product(&mut self, _: &ProductRow<'_>) -> Result<(), SinkError> { self.0 += 1; Ok(()) }
//!     fn feature(&mut self, _: &FeatureRow<'_>) -> Result<(), SinkError> { Ok(()) }
//!     fn style(&mut self, _: &StyleRow<'_>) -> Result<(), SinkError> { Ok(()) }
//!     fn photo(&mut self, _: &PhotoRow<'_>) -> Result<(), SinkError> { Ok(()) }
//!     fn sku(&mut self, _: &SkuRow<'_>) -> Result<(), SinkError> { Ok(()) }
//!     fn related(&mut self, _: &RelatedRow) -> Result<(), SinkError> { Ok(()) }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("catalog-doc-{}", std::process::id()));
//! let summary = generate(&GenerateConfig { products: 100, seed: 7, dirty_rate: 0.05 }, &dir).unwrap();
//! let mut rejects: Vec<RejectRecord> = Vec::new();
//! let mut count = Count::default();
//! let report = import(&dir, &mut count, &mut rejects).unwrap();
//! assert!(report.reconciles());
//! assert_eq!(count.0, 100);
//! assert_eq!(rejects.len(), summary.dirty.len());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod blocks;
mod files;
pub mod generate;
mod line;
mod reader;
mod reject;
mod reject_kind;
mod report;
mod rows;

pub use files::SourceFile;
pub use generate::{DirtyLine, GenerateConfig, GenerateSummary, generate};
pub use reader::{
    DiscardRows, ImportError, ImportObserver, NoObserver, RowSink, SinkError, import, import_with_observer,
};
pub use reject::{Reject, RejectFile, RejectReason, RejectRecord, RejectSink};
pub use reject_kind::{RejectKind, UnknownRejectKind};
pub use report::{FileReport, ImportReport};
pub use rows::{FeatureRow, PhotoRow, ProductRow, RelatedRow, SkuRow, StyleRow};
