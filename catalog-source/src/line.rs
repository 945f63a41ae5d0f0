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
    field_count: usize,
}

impl LineSplitter {
    pub(crate) fn new() -> LineSplitter {
        LineSplitter {
            reader: ReaderBuilder::new().terminator(Terminator::Any(b'\n')).build(),
            input: Vec::new(),
            output: Vec::new(),
            ends: [0; MAX_FIELDS],
            field_count: 0,
        }
    }

    /// Splits `line` (without its line break) into exactly `expected` fields,
    /// readable with [`Self::field`].
    pub(crate) fn split(&mut self, line: &[u8], expected: usize) -> Result<(), RejectReason> {
        self.field_count = 0;
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
        self.field_count = field_count;
        Ok(())
    }

    /// Field `index` of the last line split; `index` must be below its field count.
    pub(crate) fn field(&self, index: usize) -> &str {
        debug_assert!(index < self.field_count);
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        let bytes = &self.output[start..self.ends[index]];
        // The line was checked to be UTF-8 in `split`, and fields start and end
        // at ASCII commas and quotes, so every field is UTF-8 too.
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, expected: usize) -> Result<Vec<String>, RejectReason> {
        let mut splitter = LineSplitter::new();
        splitter.split(line.as_bytes(), expected)?;
        Ok((0..expected).map(|i| splitter.field(i).to_owned()).collect())
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
        splitter.split(b"2,a", 2).unwrap();
        assert_eq!(splitter.field(1), "a");
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
