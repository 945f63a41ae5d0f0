//! Child rows (photos, SKUs) parked in a temporary file until every file of
//! an import has been read, so the importer's memory does not grow with the
//! catalog's photo URLs: in memory stay only each row's style, id and place
//! in the file.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Where one parked row lies: its style, its id and the offset of its bytes.
#[derive(Debug, Clone, Copy)]
struct Entry {
    style_id: i32,
    id: i32,
    offset: u64,
}

/// Rows written to an anonymous temporary file (removed by the system when
/// it is closed, even if the importer is killed), each with its key.
pub(super) struct Spill {
    file: BufWriter<File>,
    written: u64,
    entries: Vec<Entry>,
}

impl Spill {
    /// An empty spill in a new temporary file (in `TMPDIR`, else `/tmp`).
    pub(super) fn new() -> io::Result<Spill> {
        Ok(Spill {
            file: BufWriter::with_capacity(1 << 20, tempfile::tempfile()?),
            written: 0,
            entries: Vec::new(),
        })
    }

    /// Parks the row `id` of style `style_id`, whose bytes are the texts
    /// `texts` (each length-prefixed) after the number `number`.
    pub(super) fn push(&mut self, style_id: i32, id: i32, number: i32, texts: &[&str]) -> io::Result<()> {
        self.entries.push(Entry {
            style_id,
            id,
            offset: self.written,
        });
        self.file.write_all(&number.to_le_bytes())?;
        self.written += 4;
        for text in texts {
            let length = u32::try_from(text.len()).map_err(|_| io::Error::other("a text longer than 4 GiB"))?;
            self.file.write_all(&length.to_le_bytes())?;
            self.file.write_all(text.as_bytes())?;
            self.written += 4 + u64::from(length);
        }
        Ok(())
    }

    /// Ends the writing: the rows sorted by style, then id, ready to read back.
    pub(super) fn into_sorted(mut self) -> io::Result<SortedSpill> {
        self.file.flush()?;
        let mut file = self.file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        self.entries.sort_unstable_by_key(|entry| (entry.style_id, entry.id));
        Ok(SortedSpill {
            file: BufReader::with_capacity(1 << 20, file),
            position: 0,
            entries: self.entries,
        })
    }
}

/// The rows of a [`Spill`], sorted by style and id, read back by style.
pub(super) struct SortedSpill {
    file: BufReader<File>,
    position: u64,
    entries: Vec<Entry>,
}

impl SortedSpill {
    /// Calls `each(id, number, texts)` for every row of style `style_id`, in
    /// id order, with the texts each row was pushed with (`TEXTS` of them).
    /// Rows read in the order they were written cost one sequential read
    /// (so when style ids rise with product ids, as in exported files);
    /// otherwise each style's rows cost a seek.
    pub(super) fn for_style<const TEXTS: usize>(
        &mut self,
        style_id: i32,
        mut each: impl FnMut(i32, i32, [String; TEXTS]),
    ) -> io::Result<()> {
        let start = self.entries.partition_point(|entry| entry.style_id < style_id);
        for index in start..self.entries.len() {
            let entry = self.entries[index];
            if entry.style_id != style_id {
                break;
            }
            if entry.offset != self.position {
                let jump = i64::try_from(entry.offset).map_err(io::Error::other)?
                    - i64::try_from(self.position).map_err(io::Error::other)?;
                self.file.seek_relative(jump)?;
                self.position = entry.offset;
            }
            let number = i32::from_le_bytes(self.read_array()?);
            let mut failed = None;
            let texts = std::array::from_fn(|_| {
                self.read_text().unwrap_or_else(|err| {
                    failed.get_or_insert(err);
                    String::new()
                })
            });
            if let Some(err) = failed {
                return Err(err);
            }
            each(entry.id, number, texts);
        }
        Ok(())
    }

    fn read_array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut bytes = [0; N];
        self.file.read_exact(&mut bytes)?;
        self.position += N as u64;
        Ok(bytes)
    }

    fn read_text(&mut self) -> io::Result<String> {
        let length = u32::from_le_bytes(self.read_array()?) as usize;
        let mut bytes = vec![0; length];
        self.file.read_exact(&mut bytes)?;
        self.position += length as u64;
        String::from_utf8(bytes).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::Spill;

    #[test]
    fn rows_come_back_by_style_in_id_order_whatever_order_they_were_written_in() {
        let mut spill = Spill::new().unwrap();
        for (style, id, number, text) in [(2, 9, 90, "i"), (1, 5, 50, "e"), (2, 3, 30, "c"), (1, 1, 10, "")] {
            spill.push(style, id, number, &[text, "ü"]).unwrap();
        }
        let mut sorted = spill.into_sorted().unwrap();
        for (style, expected) in [
            (1, vec![(1, 10, ""), (5, 50, "e")]),
            (3, vec![]),
            (2, vec![(3, 30, "c"), (9, 90, "i")]),
        ] {
            let mut seen = Vec::new();
            sorted
                .for_style::<2>(style, |id, number, [text, second]| {
                    assert_eq!(second, "ü");
                    seen.push((id, number, text));
                })
                .unwrap();
            let expected: Vec<_> = expected.into_iter().map(|(id, n, t)| (id, n, t.to_owned())).collect();
            assert_eq!(seen, expected, "style {style}");
        }
    }
}
