//! The kinds of reject: one name per [`RejectReason`](crate::RejectReason)
//! variant, shared by the reader (reports, the rejects file) and the
//! generator (its `dirty.csv` manifest).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The kind of a [`RejectReason`](crate::RejectReason), without its details.
///
/// Its [`as_str`](RejectKind::as_str) names are stable: they appear in the
/// rejects file, the report's "rejects by kind" column and the generator's
/// dirty manifest, and [`FromStr`] reads them back. Kinds order by that name,
/// so a report lists them alphabetically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectKind {
    /// `unterminated_quote`: a quoted field is not closed on its line.
    UnterminatedQuote,
    /// `invalid_utf8`: the line is not valid UTF-8.
    InvalidUtf8,
    /// `nul_byte`: the line holds a NUL byte.
    NulByte,
    /// `field_count`: the line has the wrong number of fields.
    FieldCount,
    /// `empty_field`: a required field is empty.
    EmptyField,
    /// `invalid_id`: an id field is not a decimal integer from 1 to 2147483647.
    InvalidId,
    /// `invalid_quantity`: a quantity is not a decimal integer from 0 to 2147483647.
    InvalidQuantity,
    /// `invalid_price`: a price is not an exact decimal number.
    InvalidPrice,
    /// `invalid_boolean`: `default_style` is none of `1`, `0`, `true`, `false`.
    InvalidBoolean,
    /// `duplicate_id`: the row's id repeats an earlier accepted row's id.
    DuplicateId,
    /// `unknown_product`: a product reference names no accepted product.
    UnknownProduct,
    /// `unknown_style`: a style reference names no accepted style.
    UnknownStyle,
    /// `related_to_zero`: `related_product_id` is `0`.
    RelatedToZero,
    /// `related_to_self`: `related_product_id` is the row's own product.
    RelatedToSelf,
}

impl RejectKind {
    /// Every kind, in the order the import checks a row.
    pub const ALL: [RejectKind; 14] = [
        RejectKind::UnterminatedQuote,
        RejectKind::InvalidUtf8,
        RejectKind::NulByte,
        RejectKind::FieldCount,
        RejectKind::EmptyField,
        RejectKind::InvalidId,
        RejectKind::InvalidQuantity,
        RejectKind::InvalidPrice,
        RejectKind::InvalidBoolean,
        RejectKind::DuplicateId,
        RejectKind::UnknownProduct,
        RejectKind::UnknownStyle,
        RejectKind::RelatedToZero,
        RejectKind::RelatedToSelf,
    ];

    /// The kind's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::UnterminatedQuote => "unterminated_quote",
            RejectKind::InvalidUtf8 => "invalid_utf8",
            RejectKind::NulByte => "nul_byte",
            RejectKind::FieldCount => "field_count",
            RejectKind::EmptyField => "empty_field",
            RejectKind::InvalidId => "invalid_id",
            RejectKind::InvalidQuantity => "invalid_quantity",
            RejectKind::InvalidPrice => "invalid_price",
            RejectKind::InvalidBoolean => "invalid_boolean",
            RejectKind::DuplicateId => "duplicate_id",
            RejectKind::UnknownProduct => "unknown_product",
            RejectKind::UnknownStyle => "unknown_style",
            RejectKind::RelatedToZero => "related_to_zero",
            RejectKind::RelatedToSelf => "related_to_self",
        }
    }
}

impl fmt::Display for RejectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`RejectKind`]'s [`as_str`](RejectKind::as_str).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reject kind")]
pub struct UnknownRejectKind(pub String);

impl FromStr for RejectKind {
    type Err = UnknownRejectKind;

    /// Reads a kind back from its [`as_str`](RejectKind::as_str) name.
    fn from_str(name: &str) -> Result<RejectKind, UnknownRejectKind> {
        RejectKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownRejectKind(name.to_owned()))
    }
}

// By name rather than by declaration, so a report's "rejects by kind" lists
// them alphabetically, as it did when the kinds were plain strings.
impl Ord for RejectKind {
    fn cmp(&self, other: &RejectKind) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RejectKind {
    fn partial_cmp(&self, other: &RejectKind) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in RejectKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(
            "no_such_kind".parse::<RejectKind>(),
            Err(UnknownRejectKind("no_such_kind".to_owned()))
        );
    }

    #[test]
    fn names_are_distinct_and_order_kinds() {
        let mut by_order = RejectKind::ALL;
        by_order.sort();
        let mut names = RejectKind::ALL.map(RejectKind::as_str);
        names.sort_unstable();
        names.windows(2).for_each(|pair| assert!(pair[0] < pair[1], "{pair:?}"));
        assert_eq!(by_order.map(RejectKind::as_str), names);
    }
}
