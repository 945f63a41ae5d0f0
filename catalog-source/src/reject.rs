//! Rejected rows: why a row was refused, and where rejects are written.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use catalog_core::ParsePriceError;

use crate::{RejectKind, SourceFile};

/// Why the import refused a row. Checks run in this order: the line's shape,
/// each field in column order, the row id's uniqueness, then references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A quoted field is not closed before the end of the line.
    UnterminatedQuote,
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The line holds a NUL byte, which no text column can store.
    NulByte,
    /// The line has the wrong number of fields (`None`: too many to count).
    FieldCount {
        /// Fields the file's header has.
        expected: usize,
        /// Fields the line has, when countable.
        found: Option<usize>,
    },
    /// A required field is empty.
    EmptyField(&'static str),
    /// An id field is not a decimal integer from 1 to 2147483647.
    InvalidId(&'static str),
    /// A quantity is not a decimal integer from 0 to 2147483647.
    InvalidQuantity,
    /// A price is not an exact decimal number.
    InvalidPrice(&'static str, ParsePriceError),
    /// `default_style` is none of `1`, `0`, `true`, `false`.
    InvalidBoolean(&'static str),
    /// The row's id repeats the id of an earlier accepted row of the same file.
    DuplicateId(i32),
    /// A product reference names no accepted product.
    UnknownProduct(&'static str, i32),
    /// A style reference names no accepted style.
    UnknownStyle(&'static str, i32),
    /// `related_product_id` is `0`.
    RelatedToZero,
    /// `related_product_id` is the row's own product.
    RelatedToSelf,
}

impl RejectReason {
    /// The reason's kind, for grouping and for tests.
    pub fn kind(&self) -> RejectKind {
        match self {
            RejectReason::UnterminatedQuote => RejectKind::UnterminatedQuote,
            RejectReason::InvalidUtf8 => RejectKind::InvalidUtf8,
            RejectReason::NulByte => RejectKind::NulByte,
            RejectReason::FieldCount { .. } => RejectKind::FieldCount,
            RejectReason::EmptyField(_) => RejectKind::EmptyField,
            RejectReason::InvalidId(_) => RejectKind::InvalidId,
            RejectReason::InvalidQuantity => RejectKind::InvalidQuantity,
            RejectReason::InvalidPrice(..) => RejectKind::InvalidPrice,
            RejectReason::InvalidBoolean(_) => RejectKind::InvalidBoolean,
            RejectReason::DuplicateId(_) => RejectKind::DuplicateId,
            RejectReason::UnknownProduct(..) => RejectKind::UnknownProduct,
            RejectReason::UnknownStyle(..) => RejectKind::UnknownStyle,
            RejectReason::RelatedToZero => RejectKind::RelatedToZero,
            RejectReason::RelatedToSelf => RejectKind::RelatedToSelf,
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::UnterminatedQuote => f.write_str("a quoted field is not closed on its line"),
            RejectReason::InvalidUtf8 => f.write_str("the line is not valid UTF-8"),
            RejectReason::NulByte => f.write_str("the line holds a NUL byte"),
            RejectReason::FieldCount {
                expected,
                found: Some(found),
            } => {
                write!(f, "has {found} fields, expected {expected}")
            }
            RejectReason::FieldCount { expected, found: None } => {
                write!(f, "has too many fields, expected {expected}")
            }
            RejectReason::EmptyField(field) => write!(f, "{field} is empty"),
            RejectReason::InvalidId(field) => {
                write!(f, "{field} is not a decimal integer from 1 to 2147483647")
            }
            RejectReason::InvalidQuantity => f.write_str("quantity is not a decimal integer from 0 to 2147483647"),
            RejectReason::InvalidPrice(field, why) => write!(f, "{field} {why}"),
            RejectReason::InvalidBoolean(field) => {
                write!(f, "{field} is not one of 1, 0, true, false")
            }
            RejectReason::DuplicateId(id) => write!(f, "id {id} repeats an earlier row's id"),
            RejectReason::UnknownProduct(field, id) => {
                write!(f, "{field} {id} refers to no accepted product")
            }
            RejectReason::UnknownStyle(field, id) => {
                write!(f, "{field} {id} refers to no accepted style")
            }
            RejectReason::RelatedToZero => f.write_str("related_product_id is 0"),
            RejectReason::RelatedToSelf => f.write_str("related_product_id is the row's own product"),
        }
    }
}

/// One rejected row, borrowed from the reader while it is reported.
#[derive(Debug, Clone, Copy)]
pub struct Reject<'a> {
    /// The file the row came from.
    pub file: SourceFile,
    /// The 1-based line number (the header is line 1).
    pub line: u64,
    /// Why the row was refused.
    pub reason: RejectReason,
    /// The raw line without its line break, lossily decoded if not UTF-8.
    pub raw: &'a str,
}

/// Receives every rejected row of an import.
pub trait RejectSink {
    /// Records one reject.
    fn reject(&mut self, reject: &Reject<'_>) -> io::Result<()>;
}

/// An owned copy of a [`Reject`], for keeping rejects in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectRecord {
    /// The file the row came from.
    pub file: SourceFile,
    /// The 1-based line number.
    pub line: u64,
    /// Why the row was refused.
    pub reason: RejectReason,
    /// The raw line.
    pub raw: String,
}

impl RejectSink for Vec<RejectRecord> {
    fn reject(&mut self, reject: &Reject<'_>) -> io::Result<()> {
        self.push(RejectRecord {
            file: reject.file,
            line: reject.line,
            reason: reject.reason,
            raw: reject.raw.to_owned(),
        });
        Ok(())
    }
}

/// Writes rejects as CSV (`file,line,kind,reason,raw`) to a file created on
/// the first reject, so a clean import leaves no empty file behind.
pub struct RejectFile {
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    written: u64,
}

impl RejectFile {
    /// A sink that will write to `path` (truncating it) once a reject arrives.
    pub fn new(path: impl Into<PathBuf>) -> RejectFile {
        RejectFile {
            path: path.into(),
            writer: None,
            written: 0,
        }
    }

    /// Where the rejects go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many rejects were written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes the file, if one was created.
    pub fn finish(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }
}

impl RejectSink for RejectFile {
    fn reject(&mut self, reject: &Reject<'_>) -> io::Result<()> {
        if self.writer.is_none() {
            let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(&self.path)?));
            writer.write_record(["file", "line", "kind", "reason", "raw"])?;
            self.writer = Some(writer);
        }
        let writer = self.writer.as_mut().expect("created above");
        let line = itoa::Buffer::new().format(reject.line).to_owned();
        let reason = reject.reason.to_string();
        let record = [
            reject.file.file_name(),
            &line,
            reject.reason.kind().as_str(),
            &reason,
            reject.raw,
        ];
        writer.write_record(record)?;
        self.written += 1;
        Ok(())
    }
}

impl Drop for RejectFile {
    fn drop(&mut self) {
        // Best effort: callers that care about the error call `finish`.
        let _ = self.finish();
    }
}
