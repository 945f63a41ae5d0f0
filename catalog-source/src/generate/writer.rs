//! Writing the generated files: a CSV line built field by field and written
//! as clean or dirty, and the dirty-line manifest.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::{RejectKind, SourceFile};

use super::DirtyLine;

/// One output file: builds a line field by field, then writes it as clean or dirty.
pub(super) struct Out {
    file: SourceFile,
    writer: BufWriter<File>,
    line: String,
    last_clean: String,
    line_number: u64,
    dirty_rate: f64,
    dirty: Vec<DirtyLine>,
}

impl Out {
    /// Creates `file` in `dir` and writes its header.
    pub(super) fn create(dir: &Path, file: SourceFile, dirty_rate: f64) -> io::Result<Out> {
        let mut writer = BufWriter::with_capacity(1 << 20, File::create(dir.join(file.file_name()))?);
        writeln!(writer, "{}", file.header())?;
        Ok(Out {
            file,
            writer,
            line: String::new(),
            last_clean: String::new(),
            line_number: 1,
            dirty_rate,
            dirty: Vec::new(),
        })
    }

    /// The file this writes.
    pub(super) fn file(&self) -> SourceFile {
        self.file
    }

    fn separate(&mut self) {
        if !self.line.is_empty() {
            self.line.push(',');
        }
    }

    /// Appends a field exactly as given.
    pub(super) fn raw(&mut self, text: &str) -> &mut Out {
        self.separate();
        self.line.push_str(text);
        self
    }

    /// Appends an integer field.
    pub(super) fn int(&mut self, value: i32) -> &mut Out {
        self.raw(itoa::Buffer::new().format(value))
    }

    /// Appends a quoted text field, doubling inner quotes as the source does.
    pub(super) fn text(&mut self, text: &str) -> &mut Out {
        self.separate();
        self.line.push('"');
        for part in text.split_inclusive('"') {
            self.line.push_str(part);
            if part.ends_with('"') {
                self.line.push('"');
            }
        }
        self.line.push('"');
        self
    }

    /// Appends a price given in cents: 1250 as `12.50`, 1200 as `12`.
    pub(super) fn cents(&mut self, cents: u64) -> &mut Out {
        let text = if cents.is_multiple_of(100) {
            format!("{}", cents / 100)
        } else {
            format!("{}.{:02}", cents / 100, cents % 100)
        };
        self.raw(&text)
    }

    fn write_line(&mut self) -> io::Result<u64> {
        self.writer.write_all(self.line.as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.line_number += 1;
        Ok(self.line_number)
    }

    /// Writes the line built so far as a clean row, and remembers it.
    pub(super) fn clean(&mut self) -> io::Result<()> {
        self.write_line()?;
        std::mem::swap(&mut self.line, &mut self.last_clean);
        self.line.clear();
        Ok(())
    }

    /// Whether a dirty line follows the clean one just written (a draw at the dirty rate).
    pub(super) fn dirty_now(&self, rng: &mut fastrand::Rng) -> bool {
        self.dirty_rate > 0.0 && rng.f64() < self.dirty_rate
    }

    /// Writes the line built so far as a dirty row the import must refuse with `kind`.
    pub(super) fn dirty(&mut self, kind: RejectKind) -> io::Result<()> {
        let line = self.write_line()?;
        self.line.clear();
        self.dirty.push(DirtyLine {
            file: self.file,
            line,
            kind,
        });
        Ok(())
    }

    /// Writes the last clean line again: a row whose id repeats an earlier one.
    pub(super) fn duplicate(&mut self) -> io::Result<()> {
        self.line.clone_from(&self.last_clean);
        self.dirty(RejectKind::DuplicateId)
    }

    /// Flushes the file; returns it, its data line count and its dirty lines.
    pub(super) fn finish(mut self) -> io::Result<(SourceFile, u64, Vec<DirtyLine>)> {
        self.writer.flush()?;
        Ok((self.file, self.line_number - 1, self.dirty))
    }
}

/// Writes the dirty-line manifest (`file,line,kind`) to `path`.
pub(super) fn write_manifest(path: &Path, dirty: &[DirtyLine]) -> io::Result<()> {
    let mut manifest = BufWriter::new(File::create(path)?);
    writeln!(manifest, "file,line,kind")?;
    for dirty in dirty {
        writeln!(manifest, "{},{},{}", dirty.file, dirty.line, dirty.kind)?;
    }
    manifest.flush()
}
