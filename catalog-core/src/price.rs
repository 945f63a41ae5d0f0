//! Exact money amounts: whole cents, parsed from and printed as decimal strings.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A non-negative amount of money in whole cents.
///
/// Parsed from a plain decimal string (`"140"`, `"19.9"`, `"0.00"`) and printed
/// with exactly two fraction digits (`"140.00"`, `"19.90"`), with no binary
/// floating point anywhere on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price {
    cents: i64,
}

/// The largest number of integer digits a [`Price`] accepts (fits `numeric(15,2)`).
const MAX_INTEGER_DIGITS: usize = 13;

impl Price {
    /// Builds a price from whole cents; `None` when negative.
    pub fn from_cents(cents: i64) -> Option<Price> {
        (cents >= 0).then_some(Price { cents })
    }

    /// The amount in whole cents.
    pub fn cents(self) -> i64 {
        self.cents
    }
}

/// Why a string is not a [`Price`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ParsePriceError {
    /// Not of the form `digits[.digits]`.
    #[error("not a decimal number")]
    NotDecimal,
    /// More than two significant fraction digits: cents cannot hold it exactly.
    #[error("has more than two decimal places")]
    TooPrecise,
    /// More integer digits than the store's money column holds.
    #[error("is too large")]
    TooLarge,
}

impl FromStr for Price {
    type Err = ParsePriceError;

    fn from_str(text: &str) -> Result<Price, ParsePriceError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) {
            return Err(ParsePriceError::NotDecimal);
        }
        if let Some(fraction) = fraction
            && (fraction.is_empty() || !all_digits(fraction))
        {
            return Err(ParsePriceError::NotDecimal);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > MAX_INTEGER_DIGITS {
            return Err(ParsePriceError::TooLarge);
        }
        let fraction = fraction.unwrap_or("").as_bytes();
        if fraction.iter().skip(2).any(|&b| b != b'0') {
            return Err(ParsePriceError::TooPrecise);
        }
        let digit = |i: usize| fraction.get(i).map_or(0, |b| i64::from(b - b'0'));
        let units = whole.bytes().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        Ok(Price {
            cents: units * 100 + digit(0) * 10 + digit(1),
        })
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.cents / 100, self.cents % 100)
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_source_forms() {
        let cents = |s: &str| s.parse::<Price>().map(Price::cents);
        assert_eq!(cents("140"), Ok(14_000));
        assert_eq!(cents("140.00"), Ok(14_000));
        assert_eq!(cents("19.9"), Ok(1_990));
        assert_eq!(cents("0"), Ok(0));
        assert_eq!(cents("007.05"), Ok(705));
        assert_eq!(cents("1.230"), Ok(123));
    }

    #[test]
    fn refuses_what_is_not_an_exact_decimal() {
        for bad in [
            "", ".5", "5.", "-1", "+1", "1e3", "1,00", " 1", "1 ", "null", "0x10", "1.2.3",
        ] {
            assert_eq!(bad.parse::<Price>(), Err(ParsePriceError::NotDecimal), "{bad:?}");
        }
        assert_eq!("1.234".parse::<Price>(), Err(ParsePriceError::TooPrecise));
        assert_eq!("12345678901234".parse::<Price>(), Err(ParsePriceError::TooLarge));
    }

    #[test]
    fn prints_two_fraction_digits() {
        assert_eq!(Price::from_cents(14_000).unwrap().to_string(), "140.00");
        assert_eq!(Price::from_cents(1_990).unwrap().to_string(), "19.90");
        assert_eq!(Price::from_cents(5).unwrap().to_string(), "0.05");
        assert_eq!(Price::from_cents(-1), None);
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(cents in 0i64..10_000_000_000_000) {
            let price = Price::from_cents(cents).unwrap();
            prop_assert_eq!(price.to_string().parse::<Price>(), Ok(price));
        }

        #[test]
        fn matches_integer_arithmetic(units in 0u64..1_000_000_000, frac in 0u8..100) {
            let text = format!("{units}.{frac:02}");
            let price: Price = text.parse().unwrap();
            prop_assert_eq!(price.cents(), units as i64 * 100 + i64::from(frac));
            prop_assert_eq!(price.to_string(), text);
        }
    }
}
