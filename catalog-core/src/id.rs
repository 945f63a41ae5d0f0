//! The contract's identifiers and paging parameters, parsed strictly.

use std::fmt;
use std::str::FromStr;

use crate::error::InvalidInput;

/// Parses a plain decimal integer: ASCII digits only (leading zeros allowed),
/// no sign, point, exponent or spaces, and fitting in `i32`.
///
/// Returns `None` for anything else; callers add the bounds and the message.
pub fn parse_decimal_i32(text: &str) -> Option<i32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.bytes()
        .try_fold(0i32, |acc, b| acc.checked_mul(10)?.checked_add(i32::from(b - b'0')))
}

/// Parses `text` as an integer in `min..=max`, naming `what` in the error.
fn parse_bounded(what: &'static str, text: &str, min: i32, max: i32) -> Result<i32, InvalidInput> {
    match parse_decimal_i32(text) {
        Some(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(InvalidInput::new(what, text, min, max)),
    }
}

/// Declares a positive `i32` id type named by the contract: its constructor,
/// its value, its strict parsing from a path segment, and its display.
macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident, $param:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i32);

        impl $name {
            /// The smallest id, 1.
            pub const MIN: $name = $name(1);

            /// Wraps `id`; `None` when it is below 1.
            pub fn new(id: i32) -> Option<$name> {
                (id >= 1).then_some($name(id))
            }

            /// The id as an integer.
            pub fn get(self) -> i32 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;

            /// Parses a path segment by the contract's rules (decimal, ≥ 1, fits `i32`).
            fn from_str(text: &str) -> Result<$name, InvalidInput> {
                parse_bounded($param, text, 1, i32::MAX).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// The id of a product: an integer ≥ 1 that fits in a signed 32-bit integer.
    ProductId,
    "product_id"
);
positive_id!(
    /// The id of a style: an integer ≥ 1 that fits in a signed 32-bit integer.
    StyleId,
    "style_id"
);
positive_id!(
    /// The id of a SKU: an integer ≥ 1 that fits in a signed 32-bit integer.
    SkuId,
    "sku_id"
);

/// A request for one page of the product list, in ascending id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    page: i32,
    count: i32,
}

impl Page {
    /// The page returned when `page` is not given.
    pub const DEFAULT_PAGE: i32 = 1;
    /// The page size used when `count` is not given.
    pub const DEFAULT_COUNT: i32 = 5;
    /// The largest page size a client may ask for.
    pub const MAX_COUNT: i32 = 1000;

    /// Validates an already-numeric page request.
    pub fn new(page: i32, count: i32) -> Result<Page, InvalidInput> {
        if page < 1 {
            return Err(InvalidInput::new("page", &page.to_string(), 1, i32::MAX));
        }
        if !(1..=Self::MAX_COUNT).contains(&count) {
            let text = count.to_string();
            return Err(InvalidInput::new("count", &text, 1, Self::MAX_COUNT));
        }
        Ok(Page { page, count })
    }

    /// Parses the `page` and `count` query parameters; absent ones take their defaults.
    pub fn parse(page: Option<&str>, count: Option<&str>) -> Result<Page, InvalidInput> {
        let page = page.map_or(Ok(Self::DEFAULT_PAGE), |p| parse_bounded("page", p, 1, i32::MAX))?;
        let count = count.map_or(Ok(Self::DEFAULT_COUNT), |c| {
            parse_bounded("count", c, 1, Self::MAX_COUNT)
        })?;
        Ok(Page { page, count })
    }

    /// The 1-based page number.
    pub fn page(self) -> i32 {
        self.page
    }

    /// The number of products per page.
    pub fn count(self) -> i32 {
        self.count
    }

    /// How many products in id order come before this page.
    pub fn offset(self) -> u64 {
        (self.page as u64 - 1) * self.count as u64
    }
}

impl Default for Page {
    fn default() -> Page {
        Page {
            page: Self::DEFAULT_PAGE,
            count: Self::DEFAULT_COUNT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn product_ids_follow_the_contract() {
        assert_eq!("1".parse::<ProductId>().map(ProductId::get), Ok(1));
        assert_eq!("0042".parse::<ProductId>().map(ProductId::get), Ok(42));
        assert_eq!("2147483647".parse::<ProductId>().map(ProductId::get), Ok(i32::MAX));
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "1.0",
            "1e3",
            "0x1F",
            " 1",
            "1 ",
            "12a",
            "2147483648",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<ProductId>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn errors_name_the_parameter_and_the_value() {
        let err = "abc".parse::<ProductId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "product_id must be a decimal integer from 1 to 2147483647, got \"abc\""
        );
    }

    #[test]
    fn pages_have_defaults_and_bounds() {
        assert_eq!(Page::parse(None, None), Ok(Page::default()));
        assert_eq!(Page::parse(Some("2"), Some("1000")).map(Page::offset), Ok(1000));
        assert!(Page::parse(Some("0"), None).is_err());
        assert!(Page::parse(None, Some("0")).is_err());
        assert!(Page::parse(None, Some("1001")).is_err());
        assert!(Page::parse(Some(""), None).is_err());
        assert!(Page::new(1, 1001).is_err());
        assert_eq!(
            Page::new(i32::MAX, 1000).map(Page::offset),
            Ok((i32::MAX as u64 - 1) * 1000)
        );
    }

    proptest! {
        #[test]
        fn every_i32_round_trips(n in any::<i32>()) {
            prop_assert_eq!(parse_decimal_i32(&n.to_string()), (n >= 0).then_some(n));
        }

        #[test]
        fn anything_with_a_non_digit_is_refused(s in ".*[^0-9].*") {
            prop_assert_eq!(parse_decimal_i32(&s), None);
        }

        #[test]
        fn agrees_with_u64_parsing(s in "[0-9]{1,15}") {
            let wide: u64 = s.parse().unwrap();
            let expected = i32::try_from(wide).ok();
            prop_assert_eq!(parse_decimal_i32(&s), expected);
        }
    }
}
