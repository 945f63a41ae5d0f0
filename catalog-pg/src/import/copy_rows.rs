//! Rows encoded in `COPY`'s binary format as they are read, one buffer per
//! batch: the reader writes each field's bytes straight from the line it
//! parsed, so a row costs no allocation of its own (the rows of diesel's
//! `from_insertable` cost one `String` per text, freed on another thread),
//! and the writer hands the buffer to `COPY ... FREEZE` as it is.
//!
//! The format: <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>.

use std::io::{self, Write};

use catalog_core::Price;

use crate::money;

/// The signature, flags and header extension that open a binary `COPY` stream.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The field count `-1` that ends a binary `COPY` stream.
const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// A binary `COPY` stream under construction: the header, then whole rows.
#[derive(Debug)]
pub(super) struct CopyRows {
    bytes: Vec<u8>,
    rows: usize,
}

impl CopyRows {
    /// An empty stream with room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> CopyRows {
        let mut bytes = Vec::with_capacity(capacity.max(HEADER.len() + TRAILER.len()));
        bytes.extend_from_slice(HEADER);
        CopyRows { bytes, rows: 0 }
    }

    /// The rows written so far.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// The bytes written so far.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The bytes written so far, the header first.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Fields already encoded (by another [`CopyRows`]), appended as they are.
    pub(super) fn raw_fields(&mut self, fields: &[u8]) -> &mut CopyRows {
        self.bytes.extend_from_slice(fields);
        self
    }

    /// Starts a row of `fields` fields; its fields follow, in the table's order.
    pub(super) fn row(&mut self, fields: i16) -> &mut CopyRows {
        self.rows += 1;
        self.bytes.extend_from_slice(&fields.to_be_bytes());
        self
    }

    /// An `integer` field.
    pub(super) fn int4(&mut self, value: i32) -> &mut CopyRows {
        self.bytes.extend_from_slice(&4i32.to_be_bytes());
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A `boolean` field.
    pub(super) fn bool(&mut self, value: bool) -> &mut CopyRows {
        self.bytes.extend_from_slice(&1i32.to_be_bytes());
        self.bytes.push(u8::from(value));
        self
    }

    /// A `text` field (the reader has checked it is UTF-8 without NUL).
    pub(super) fn text(&mut self, value: &str) -> io::Result<&mut CopyRows> {
        self.bytes.extend_from_slice(&field_length(value.len())?.to_be_bytes());
        self.bytes.extend_from_slice(value.as_bytes());
        Ok(self)
    }

    /// A `text` field written by `write` (such as a serializer), measured after.
    pub(super) fn text_with(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<&mut CopyRows> {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&0i32.to_be_bytes());
        write(&mut self.bytes)?;
        let length = field_length(self.bytes.len() - at - 4)?;
        self.bytes[at..at + 4].copy_from_slice(&length.to_be_bytes());
        Ok(self)
    }

    /// A `text` field, or `NULL`.
    pub(super) fn optional_text(&mut self, value: Option<&str>) -> io::Result<&mut CopyRows> {
        match value {
            Some(value) => self.text(value),
            None => Ok(self.null()),
        }
    }

    /// A `numeric` field holding `price`.
    pub(super) fn price(&mut self, price: Price) -> &mut CopyRows {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&0i32.to_be_bytes());
        money::write_numeric(price, &mut self.bytes);
        let length = (self.bytes.len() - at - 4) as i32; // a few digits: 8 + 2 per digit bytes
        self.bytes[at..at + 4].copy_from_slice(&length.to_be_bytes());
        self
    }

    /// A `numeric` field holding `price`, or `NULL`.
    pub(super) fn optional_price(&mut self, price: Option<Price>) -> &mut CopyRows {
        match price {
            Some(price) => self.price(price),
            None => self.null(),
        }
    }

    /// A `NULL` field.
    pub(super) fn null(&mut self) -> &mut CopyRows {
        self.bytes.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    /// Moves the rows written so far to `out` (without the header, which
    /// `out` has had), leaving this stream empty.
    pub(super) fn drain_rows_into(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.bytes[HEADER.len()..])?;
        self.bytes.truncate(HEADER.len());
        self.rows = 0;
        Ok(())
    }

    /// The header alone, to open a stream written piecewise with
    /// [`drain_rows_into`](Self::drain_rows_into) and closed with [`trailer`].
    pub(super) fn header() -> &'static [u8] {
        HEADER
    }

    /// The finished stream: header, rows and trailer.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&TRAILER);
        self.bytes
    }
}

/// The bytes that end a binary `COPY` stream.
pub(super) fn trailer() -> &'static [u8] {
    &TRAILER
}

/// A field's length prefix; a field cannot pass 1 GB in PostgreSQL anyway.
fn field_length(length: usize) -> io::Result<i32> {
    i32::try_from(length).map_err(|_| io::Error::other("a field longer than 2 GiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_the_header_each_field_length_prefixed_and_the_trailer() {
        let mut rows = CopyRows::with_capacity(0);
        rows.row(4).int4(7).text("é").unwrap().null().bool(true);
        assert_eq!(rows.rows(), 1);
        let bytes = rows.finish();
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&[0, 4]);
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 2, 0xc3, 0xa9]);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn a_text_written_in_place_gets_its_length_after() {
        let mut rows = CopyRows::with_capacity(0);
        rows.row(1)
            .text_with(|out| {
                out.extend_from_slice(b"[1,2]");
                Ok(())
            })
            .unwrap();
        let bytes = rows.finish();
        assert_eq!(&bytes[HEADER.len()..], b"\0\x01\0\0\0\x05[1,2]\xff\xff");
    }

    #[test]
    fn a_price_is_postgres_binary_numeric() {
        let mut rows = CopyRows::with_capacity(0);
        rows.row(1).price(Price::from_cents(1_990).unwrap());
        let bytes = rows.finish();
        // ndigits 2, weight 0, sign +, dscale 2, digits 19 and 9000.
        let numeric = [0, 2, 0, 0, 0, 0, 0, 2, 0, 19, 0x23, 0x28];
        let mut expected = vec![0, 1, 0, 0, 0, 12];
        expected.extend_from_slice(&numeric);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(&bytes[HEADER.len()..], expected.as_slice());
    }

    #[test]
    fn drained_rows_leave_an_empty_stream() {
        let mut rows = CopyRows::with_capacity(0);
        rows.row(1).int4(1);
        let mut out = Vec::new();
        rows.drain_rows_into(&mut out).unwrap();
        assert_eq!(out, [0, 1, 0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!((rows.rows(), rows.len()), (0, HEADER.len()));
    }
}
