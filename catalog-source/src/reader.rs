//! The streaming import: validates headers, applies the reject rules, and
//! hands accepted rows to a [`RowSink`].

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::thread;

use roaring::RoaringBitmap;

use crate::SourceFile;
use crate::blocks::{self, Stopped, trim_line_break};
use crate::line::{LineSplitter, Split};
use crate::reject::{Reject, RejectReason, RejectSink};
use crate::report::{FileReport, ImportReport};
use crate::rows::{FeatureRow, Fields, PhotoRow, ProductRow, RelatedRow, SkuRow, StyleRow};

/// An error a [`RowSink`] may return; it stops the import.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Receives the accepted rows of an import, file by file in load order.
///
/// Rows borrow from the reader's buffers: copy what you keep.
pub trait RowSink {
    /// An accepted product.
    fn product(&mut self, row: &ProductRow<'_>) -> Result<(), SinkError>;
    /// An accepted feature of an accepted product.
    fn feature(&mut self, row: &FeatureRow<'_>) -> Result<(), SinkError>;
    /// An accepted style of an accepted product.
    fn style(&mut self, row: &StyleRow<'_>) -> Result<(), SinkError>;
    /// An accepted photo of an accepted style.
    fn photo(&mut self, row: &PhotoRow<'_>) -> Result<(), SinkError>;
    /// An accepted SKU of an accepted style.
    fn sku(&mut self, row: &SkuRow<'_>) -> Result<(), SinkError>;
    /// An accepted link between two accepted products.
    fn related(&mut self, row: &RelatedRow) -> Result<(), SinkError>;
}

/// A sink that keeps nothing, for validating a source directory (the report
/// and the rejects are the result).
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardRows;

impl RowSink for DiscardRows {
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

/// Why an import stopped before reading every file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file is missing or unreadable.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file's header is not the expected one; nothing was loaded.
    #[error("{file} has header {found:?}, expected {expected:?}")]
    Header {
        /// The file.
        file: SourceFile,
        /// The header line the file must start with.
        expected: String,
        /// The header line it has.
        found: String,
    },
    /// The reject sink failed.
    #[error("cannot write rejects: {0}")]
    Rejects(io::Error),
    /// The row sink failed.
    #[error("cannot store a row of {file}: {source}")]
    Sink {
        /// The file being loaded.
        file: SourceFile,
        /// The sink's error.
        source: SinkError,
    },
}

/// Hears how an import advances, for progress displays. Every method has a
/// default that does nothing.
pub trait ImportObserver {
    /// `file` is about to be read; it holds `bytes` bytes.
    fn file_started(&mut self, _file: SourceFile, _bytes: u64) {}
    /// `bytes` bytes and `lines` data lines of `file` have been read so far.
    fn advanced(&mut self, _file: SourceFile, _bytes: u64, _lines: u64) {}
    /// `file` is done.
    fn file_finished(&mut self, _report: &FileReport) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl ImportObserver for NoObserver {}

/// Lines between two [`ImportObserver::advanced`] calls.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Imports the six files of `dir` into `sink`, reporting refused rows to `rejects`.
///
/// All six headers are checked before any row is handed over, so a refused
/// header leaves the sink untouched. Each file is read in blocks of whole
/// lines, split into fields on every core, and handed to the checks and the
/// sink one line at a time in file order (so the first of two equal ids is
/// the one kept, as if read by one thread); memory grows only with the sets
/// of accepted ids and a few blocks in flight.
pub fn import(dir: &Path, sink: &mut dyn RowSink, rejects: &mut dyn RejectSink) -> Result<ImportReport, ImportError> {
    import_with_observer(dir, sink, rejects, &mut NoObserver)
}

/// [`import`], telling `observer` how far it got.
pub fn import_with_observer(
    dir: &Path,
    sink: &mut dyn RowSink,
    rejects: &mut dyn RejectSink,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut splitter = LineSplitter::new();
    let mut sources = Vec::with_capacity(SourceFile::ALL.len());
    for file in SourceFile::ALL {
        sources.push(open_checked(dir, file, &mut splitter)?);
    }
    let mut importer = Importer {
        workers: thread::available_parallelism().map_or(1, usize::from),
        sink,
        rejects,
        observer,
        products: RoaringBitmap::new(),
        styles: RoaringBitmap::new(),
    };
    let mut report = ImportReport::default();
    for (file, source) in SourceFile::ALL.into_iter().zip(sources) {
        report.files.push(importer.load(file, source)?);
    }
    Ok(report)
}

/// An open file positioned after its validated header.
struct Source {
    path: PathBuf,
    reader: BufReader<File>,
    /// The file's size and how much of it the header took.
    bytes: u64,
    header_bytes: u64,
}

fn open_checked(dir: &Path, file: SourceFile, splitter: &mut LineSplitter) -> Result<Source, ImportError> {
    let path = dir.join(file.file_name());
    let io_error = |source| ImportError::Io {
        path: path.clone(),
        source,
    };
    let opened = File::open(&path).map_err(io_error)?;
    let bytes = opened.metadata().map_err(io_error)?.len();
    let mut reader = BufReader::with_capacity(1 << 20, opened);
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(io_error)?;
    let line = trim_line_break(header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header));
    let columns = file.columns();
    let matches = splitter
        .split(line, columns.len())
        .is_ok_and(|split| columns.iter().enumerate().all(|(i, column)| split.field(i) == *column));
    if !matches {
        return Err(ImportError::Header {
            file,
            expected: file.header(),
            found: String::from_utf8_lossy(line).into_owned(),
        });
    }
    Ok(Source {
        path,
        reader,
        bytes,
        header_bytes: header.len() as u64,
    })
}

/// The state carried from file to file: the ids later files may refer to.
struct Importer<'s> {
    /// Threads that split lines into fields.
    workers: usize,
    sink: &'s mut dyn RowSink,
    rejects: &'s mut dyn RejectSink,
    observer: &'s mut dyn ImportObserver,
    products: RoaringBitmap,
    styles: RoaringBitmap,
}

/// What became of one line.
type Outcome = Result<Result<(), RejectReason>, SinkError>;

impl Importer<'_> {
    fn load(&mut self, file: SourceFile, source: Source) -> Result<FileReport, ImportError> {
        let mut report = FileReport::new(file);
        let mut seen = RoaringBitmap::new();
        let mut line_number = 1u64;
        let mut bytes_read = source.header_bytes;
        self.observer.file_started(file, source.bytes);
        let read = blocks::for_each_line(source.reader, file.columns().len(), self.workers, |line| {
            line_number += 1;
            report.read += 1;
            bytes_read += line.bytes as u64;
            if report.read.is_multiple_of(PROGRESS_EVERY) {
                self.observer.advanced(file, bytes_read, report.read);
            }
            let outcome = match line.fields {
                Ok(split) => self.accept(file, split, &mut seen),
                Err(reason) => Ok(Err(reason)),
            };
            match outcome {
                Ok(Ok(())) => report.accepted += 1,
                Ok(Err(reason)) => {
                    report.rejected += 1;
                    *report.rejected_by_kind.entry(reason.kind()).or_default() += 1;
                    let raw = String::from_utf8_lossy(line.raw);
                    self.reject(file, line_number, reason, raw)?;
                }
                Err(source) => return Err(ImportError::Sink { file, source }),
            }
            Ok(())
        });
        match read {
            Ok(()) => {}
            Err(Stopped::Each(error)) => return Err(error),
            Err(Stopped::Read(error)) => {
                return Err(ImportError::Io {
                    path: source.path,
                    source: error,
                });
            }
        }
        match file {
            SourceFile::Products => self.products = seen,
            SourceFile::Styles => self.styles = seen,
            _ => {}
        }
        self.observer.file_finished(&report);
        Ok(report)
    }

    fn reject(
        &mut self,
        file: SourceFile,
        line: u64,
        reason: RejectReason,
        raw: Cow<'_, str>,
    ) -> Result<(), ImportError> {
        let reject = Reject {
            file,
            line,
            reason,
            raw: &raw,
        };
        self.rejects.reject(&reject).map_err(ImportError::Rejects)
    }

    /// Parses the split line as a row of `file`, checks its id and references,
    /// and hands it to the sink.
    fn accept(&mut self, file: SourceFile, split: Split<'_>, seen: &mut RoaringBitmap) -> Outcome {
        let mut fields = Fields::new(split);
        let products = &self.products;
        let styles = &self.styles;
        let product = |field, id: i32| known(products, id).ok_or(RejectReason::UnknownProduct(field, id));
        let style = |field, id: i32| known(styles, id).ok_or(RejectReason::UnknownStyle(field, id));
        let checked = |id: i32, seen: &RoaringBitmap| {
            if seen.contains(id as u32) {
                Err(RejectReason::DuplicateId(id))
            } else {
                Ok(())
            }
        };
        macro_rules! admit {
            ($row:expr, $check:expr, $store:ident) => {{
                let row = match $row {
                    Ok(row) => row,
                    Err(reason) => return Ok(Err(reason)),
                };
                if let Err(reason) = checked(row.id, seen).and_then(|()| $check(&row)) {
                    return Ok(Err(reason));
                }
                seen.insert(row.id as u32);
                self.sink.$store(&row).map(Ok)
            }};
        }
        match file {
            SourceFile::Products => admit!(ProductRow::parse(&mut fields), |_: &ProductRow| Ok(()), product),
            SourceFile::Features => {
                admit!(
                    FeatureRow::parse(&mut fields),
                    |r: &FeatureRow| product("product_id", r.product_id),
                    feature
                )
            }
            SourceFile::Styles => {
                admit!(
                    StyleRow::parse(&mut fields),
                    |r: &StyleRow| product("productId", r.product_id),
                    style
                )
            }
            SourceFile::Photos => {
                admit!(
                    PhotoRow::parse(&mut fields),
                    |r: &PhotoRow| style("styleId", r.style_id),
                    photo
                )
            }
            SourceFile::Skus => admit!(
                SkuRow::parse(&mut fields),
                |r: &SkuRow| style("styleId", r.style_id),
                sku
            ),
            SourceFile::Related => admit!(
                RelatedRow::parse(&mut fields),
                |r: &RelatedRow| product("current_product_id", r.current_product_id)
                    .and_then(|()| product("related_product_id", r.related_product_id)),
                related
            ),
        }
    }
}

fn known(ids: &RoaringBitmap, id: i32) -> Option<()> {
    ids.contains(id as u32).then_some(())
}
