//! The import report: for each file, rows read = accepted + rejected.

use std::collections::BTreeMap;
use std::fmt;

use crate::{RejectKind, SourceFile};

/// What the import did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub file: SourceFile,
    /// Data lines read (the header excluded).
    pub read: u64,
    /// Rows handed to the store.
    pub accepted: u64,
    /// Rows refused, each written to the reject sink.
    pub rejected: u64,
    /// Rejected rows by [`RejectReason::kind`](crate::RejectReason::kind), in
    /// [`RejectKind`]'s order (by name).
    pub rejected_by_kind: BTreeMap<RejectKind, u64>,
}

impl FileReport {
    pub(crate) fn new(file: SourceFile) -> FileReport {
        FileReport {
            file,
            read: 0,
            accepted: 0,
            rejected: 0,
            rejected_by_kind: BTreeMap::new(),
        }
    }

    /// Whether every row read was either accepted or rejected.
    pub fn reconciles(&self) -> bool {
        self.read == self.accepted + self.rejected && self.rejected == self.rejected_by_kind.values().sum::<u64>()
    }
}

/// What an import did with all six files, in load order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// One entry per file, in [`SourceFile::ALL`] order.
    pub files: Vec<FileReport>,
}

impl ImportReport {
    /// The entry of `file`, if it was read.
    pub fn file(&self, file: SourceFile) -> Option<&FileReport> {
        self.files.iter().find(|report| report.file == file)
    }

    /// Total rows rejected across all files.
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|report| report.rejected).sum()
    }

    /// Whether every file's counts add up.
    pub fn reconciles(&self) -> bool {
        self.files.iter().all(FileReport::reconciles)
    }
}

impl fmt::Display for ImportReport {
    /// A table with one line per file and the reject kinds that occurred.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14}{:>12}{:>12}{:>10}  rejects by kind",
            "file", "read", "accepted", "rejected"
        )?;
        for report in &self.files {
            let kinds: Vec<String> = report
                .rejected_by_kind
                .iter()
                .map(|(kind, n)| format!("{kind}={n}"))
                .collect();
            writeln!(
                f,
                "{:<14}{:>12}{:>12}{:>10}  {}",
                report.file.file_name(),
                report.read,
                report.accepted,
                report.rejected,
                kinds.join(" ")
            )?;
        }
        Ok(())
    }
}
