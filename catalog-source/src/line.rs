//! Splitting one line into CSV fields, so that a broken line never spans more.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder, Terminator};

use crate::reject::RejectReason;

/// The most fields a line may have before it is refused unread.
const MAX_FIELDS: usize = 16;

/// Splits single lines into fields with RFC 4180 quoting (`""` escapes a quote).
///
/// Each line is parsed alone: a quote left open at the end of the line is an
/// error for that line, never a reason to read the next one.
pub(crate) struct LineSplitter {
    reader: Reader,
    input: Vec<u8>,
    output: Vec<u8>,
    ends: [usize; MAX_FIELDS],
}

impl LineSplitter {
    pub(crate) fn new() -> LineSplitter {
        LineSplitter {
            reader: ReaderBuilder::new().terminator(Terminator::Any(b'\n')).build(),
            input: Vec::new(),
            output: Vec::new(),
            ends: [0; MAX_FIELDS],
        }
    }

    /// Splits `line` (without its line break) into exactly `expected` fields.
    pub(crate) fn split(&mut self, line: &[u8], expected: usize) -> Result<Split<'_>, RejectReason> {
        if line.is_empty() {
            // csv-core skips blank lines; here a blank line is a row with no fields.
            return Err(RejectReason::FieldCount {
                expected,
                found: Some(0),
            });
        }
        if std::str::from_utf8(line).is_err() {
            return Err(RejectReason::InvalidUtf8);
        }
        if line.contains(&0) {
            return Err(RejectReason::NulByte);
        }
        self.reader.reset();
        self.input.clear();
        self.input.extend_from_slice(line);
        self.input.push(b'\n');
        if self.output.len() < self.input.len() {
            self.output.resize(self.input.len(), 0);
        }
        let (result, consumed, _, field_count) = self.reader.read_record(&self.input, &mut self.output, &mut self.ends);
        match result {
            ReadRecordResult::Record if consumed == self.input.len() => {}
            ReadRecordResult::InputEmpty => return Err(RejectReason::UnterminatedQuote),
            ReadRecordResult::OutputEndsFull => {
                return Err(RejectReason::FieldCount { expected, found: None });
            }
            // The output buffer is as long as the input, and the only terminator
            // is the line break appended above: nothing else can end a record.
            _ => return Err(RejectReason::UnterminatedQuote),
        }
        if field_count != expected {
            return Err(RejectReason::FieldCount {
                expected,
                found: Some(field_count),
            });
        }
        // The line is UTF-8 and only ASCII commas and quotes were taken out,
        // so its fields are too; this one check makes them `&str`s.
        let ends = &self.ends[..field_count];
        let output = std::str::from_utf8(&self.output[..ends.last().copied().unwrap_or(0)])
            .map_err(|_| RejectReason::InvalidUtf8)?;
        Ok(Split::new(output, 0, ends))
    }
}

/// The fields of one split line: their decoded text, back to back, and
/// where each ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    output: &'a str,
    /// Where the first field starts in `output`.
    start: usize,
    /// Where each field ends in `output`.
    ends: &'a [usize],
}

impl<'a> Split<'a> {
    /// A line's fields stored from `start` in `output`, ending at `ends`
    /// (each a character boundary).
    pub(crate) fn new(output: &'a str, start: usize, ends: &'a [usize]) -> Split<'a> {
        Split { output, start, ends }
    }

    /// The text of every field, back to back.
    pub(crate) fn text(&self) -> &'a str {
        &self.output[self.start..self.ends.last().copied().unwrap_or(self.start)]
    }

    /// Where each field ends, counted from the start of [`Self::text`].
    pub(crate) fn relative_ends(&self) -> impl Iterator<Item = usize> + 'a {
        let start = self.start;
        self.ends.iter().map(move |end| end - start)
    }

    /// Field `index`; `index` must be below the line's field count.
    pub(crate) fn field(&self, index: usize) -> &'a str {
        let start = if index == 0 { self.start } else { self.ends[index - 1] };
        self.output.get(start..self.ends[index]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, expected: usize) -> Result<Vec<String>, RejectReason> {
        let mut splitter = LineSplitter::new();
        let split = splitter.split(line.as_bytes(), expected)?;
        Ok((0..expected).map(|i| split.field(i).to_owned()).collect())
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(fields("1,a,,b", 4).unwrap(), ["1", "a", "", "b"]);
        assert_eq!(
            fields(r#"1,"a, b","say ""hi""""#, 3).unwrap(),
            ["1", "a, b", r#"say "hi""#]
        );
        assert_eq!(
            fields("", 1),
            Err(RejectReason::FieldCount {
                expected: 1,
                found: Some(0)
            })
        );
    }

    #[test]
    fn an_open_quote_is_an_error_of_this_line_only() {
        let mut splitter = LineSplitter::new();
        let open = br#"1,"https://x,y"#;
        assert_eq!(splitter.split(open, 3), Err(RejectReason::UnterminatedQuote));
        assert_eq!(splitter.split(b"2,a", 2).unwrap().field(1), "a");
    }

    #[test]
    fn refuses_wrong_counts_and_bad_utf8() {
        assert_eq!(fields("1,\u{e9}", 2).unwrap()[1], "\u{e9}");
        let three = Err(RejectReason::FieldCount {
            expected: 2,
            found: Some(3),
        });
        assert_eq!(fields("1,2,3", 2), three);
        let many = Err(RejectReason::FieldCount {
            expected: 2,
            found: None,
        });
        assert_eq!(fields(&",".repeat(40), 2), many);
        let mut splitter = LineSplitter::new();
        assert_eq!(splitter.split(b"1,\xc3,\xa9", 3), Err(RejectReason::InvalidUtf8));
    }

    #[test]
    fn refuses_nul_bytes_that_no_text_column_stores() {
        let mut splitter = LineSplitter::new();
        assert_eq!(splitter.split(b"1,a\0b", 2), Err(RejectReason::NulByte));
    }
}
