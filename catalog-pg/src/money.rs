//! Exact conversion between [`Price`] (whole cents) and PostgreSQL `numeric`.
//!
//! `numeric` travels in PostgreSQL's binary form: base-10000 digits with a
//! weight (the power of 10000 of the first digit) and a display scale.

use catalog_core::Price;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::data_types::PgNumeric;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Numeric;

/// A [`Price`] as a `numeric` column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Numeric)]
pub(crate) struct PgPrice(pub(crate) Price);

/// `price` as `numeric` with scale 2.
fn to_numeric(price: Price) -> PgNumeric {
    let cents = price.cents();
    let (units, fraction) = (cents / 100, cents % 100);
    let mut digits: Vec<i16> = Vec::new();
    let mut rest = units;
    while rest > 0 {
        digits.push((rest % 10_000) as i16);
        rest /= 10_000;
    }
    digits.reverse();
    let mut weight = digits.len() as i16 - 1;
    if fraction != 0 {
        digits.push(fraction as i16 * 100);
    }
    // Leading zero digits are not stored: 0.05 is one digit, 500, at weight -1.
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    if digits.is_empty() {
        weight = 0;
    }
    PgNumeric::Positive {
        weight,
        scale: 2,
        digits,
    }
}

/// Cents of a `numeric`; an error for negatives, NaN, or sub-cent fractions.
fn from_numeric(numeric: PgNumeric) -> Result<Price, String> {
    let (weight, digits) = match numeric {
        PgNumeric::Positive { weight, digits, .. } => (weight, digits),
        PgNumeric::Negative { .. } => return Err("negative price".into()),
        PgNumeric::NaN => return Err("NaN price".into()),
    };
    let mut cents: i64 = 0;
    for (index, digit) in digits.iter().enumerate() {
        let power = i32::from(weight) - index as i32;
        let digit = i64::from(*digit);
        cents = match power {
            p if p >= 0 => cents
                .checked_add(
                    digit
                        .checked_mul(100 * 10_000i64.checked_pow(p as u32).ok_or("price too large")?)
                        .ok_or("price too large")?,
                )
                .ok_or("price too large")?,
            -1 if digit % 100 == 0 => cents + digit / 100,
            _ if digit == 0 => cents,
            _ => return Err("price has fractions of a cent".into()),
        };
    }
    Price::from_cents(cents).ok_or_else(|| "negative price".into())
}

/// Appends `price` to `out` in `numeric`'s binary form (as `COPY` binary
/// and the wire protocol carry it): digit count, weight, sign, display scale,
/// then the base-10000 digits, each big-endian.
pub(crate) fn write_numeric(price: Price, out: &mut Vec<u8>) {
    let PgNumeric::Positive { weight, scale, digits } = to_numeric(price) else {
        unreachable!("a price is never negative or NaN")
    };
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // positive
    out.extend_from_slice(&scale.to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
}

impl ToSql<Numeric, Pg> for PgPrice {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let numeric = to_numeric(self.0);
        <PgNumeric as ToSql<Numeric, Pg>>::to_sql(&numeric, &mut out.reborrow())
    }
}

impl FromSql<Numeric, Pg> for PgPrice {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<PgPrice> {
        let numeric = <PgNumeric as FromSql<Numeric, Pg>>::from_sql(value)?;
        Ok(PgPrice(from_numeric(numeric)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numeric(cents: i64) -> PgNumeric {
        to_numeric(Price::from_cents(cents).unwrap())
    }

    #[test]
    fn encodes_like_postgres() {
        let positive = |weight, digits: &[i16]| PgNumeric::Positive {
            weight,
            scale: 2,
            digits: digits.to_vec(),
        };
        assert_eq!(numeric(14_000), positive(0, &[140]));
        assert_eq!(numeric(1_990), positive(0, &[19, 9000]));
        assert_eq!(numeric(5), positive(-1, &[500]));
        assert_eq!(numeric(0), positive(0, &[]));
        assert_eq!(numeric(1_234_567), positive(1, &[1, 2345, 6700]));
        assert_eq!(numeric(1_000_000), positive(1, &[1, 0]));
    }

    #[test]
    fn refuses_what_a_price_cannot_hold() {
        let negative = PgNumeric::Negative {
            weight: 0,
            scale: 2,
            digits: vec![1],
        };
        assert!(from_numeric(negative).is_err());
        assert!(from_numeric(PgNumeric::NaN).is_err());
        let tenth_of_a_cent = PgNumeric::Positive {
            weight: -1,
            scale: 3,
            digits: vec![10],
        };
        assert!(from_numeric(tenth_of_a_cent).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(cents in 0i64..1_000_000_000_000_000) {
            let price = Price::from_cents(cents).unwrap();
            prop_assert_eq!(from_numeric(to_numeric(price)), Ok(price));
        }
    }
}
