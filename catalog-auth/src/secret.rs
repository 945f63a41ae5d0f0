//! The token string: generation, the shape check of a presented token, and
//! its SHA-256, which is all the tokens file keeps.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// Every token starts with this.
const PREFIX: &str = "cat_";
/// Random bytes in a token: 256 bits.
const RANDOM_BYTES: usize = 32;
/// `cat_` and 32 bytes in unpadded base64url (43 characters).
const TOKEN_LEN: usize = PREFIX.len() + (RANDOM_BYTES * 4).div_ceil(3);

/// A newly created bearer token: the only copy of the secret. `Debug`
/// redacts it and there is no `Display`, so it cannot end up in a log line
/// by accident; [`expose`](Self::expose) it to show it to the operator once.
pub struct TokenSecret(String);

impl TokenSecret {
    /// 256 bits from the OS random number generator.
    pub(crate) fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; RANDOM_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// The token as the client sends it (`Authorization: Bearer <token>`).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the tokens file records.
    pub(crate) fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// The token in an `Authorization` header value: `Bearer <token>`, the scheme
/// in any case, one space, then a well-formed token and nothing else.
pub(crate) fn bearer_token(header: &[u8]) -> Option<&str> {
    let space = header.iter().position(|&b| b == b' ')?;
    let (scheme, token) = (&header[..space], &header[space + 1..]);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    well_formed(token)
}

/// `cat_` and 43 base64url characters, checked before anything is hashed.
fn well_formed(token: &[u8]) -> Option<&str> {
    let body = token.strip_prefix(PREFIX.as_bytes())?;
    let base64url = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    if token.len() != TOKEN_LEN || !body.iter().all(base64url) {
        return None;
    }
    std::str::from_utf8(token).ok()
}

/// SHA-256 of a token string (its UTF-8 bytes, prefix included).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenHash([u8; 32]);

impl TokenHash {
    pub(crate) fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Constant-time equality.
    pub(crate) fn ct_eq(&self, other: &Self) -> Choice {
        self.0[..].ct_eq(&other.0[..])
    }

    fn to_hex(self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in self.0 {
            hex.push(char::from(DIGITS[usize::from(b >> 4)]));
            hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        hex
    }

    /// 64 lowercase hex digits.
    fn from_hex(hex: &str) -> Option<Self> {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl Serialize for TokenHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for TokenHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(deserializer)?;
        TokenHash::from_hex(&hex).ok_or_else(|| serde::de::Error::custom("sha256 must be 64 lowercase hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_47_chars_of_prefix_and_base64url_and_differ() {
        let a = TokenSecret::generate().unwrap();
        let b = TokenSecret::generate().unwrap();
        assert_eq!(a.expose().len(), 47);
        assert!(a.expose().starts_with("cat_"));
        assert_eq!(URL_SAFE_NO_PAD.decode(&a.expose()[4..]).unwrap().len(), 32);
        assert_eq!(well_formed(a.expose().as_bytes()), Some(a.expose()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn debug_redacts_the_secret_and_the_hash() {
        let secret = TokenSecret::generate().unwrap();
        let shown = format!("{secret:?} {:?}", secret.hash());
        assert!(!shown.contains(&secret.expose()[4..]), "{shown}");
        assert!(!shown.contains(&secret.hash().to_hex()), "{shown}");
        assert_eq!(shown, "TokenSecret(<redacted>) TokenHash(..)");
    }

    #[test]
    fn hash_is_sha256_of_the_token_string_in_lowercase_hex() {
        // sha256("abc"), FIPS 180-2 test vector.
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(TokenHash::of("abc").to_hex(), expected);
        assert_eq!(TokenHash::from_hex(expected), Some(TokenHash::of("abc")));
        assert_eq!(TokenHash::from_hex(&expected.to_uppercase()), None);
        assert_eq!(TokenHash::from_hex(&expected[1..]), None);
        assert_eq!(TokenHash::from_hex(&format!("{}g", &expected[1..])), None);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_with_one_space() {
        let token = TokenSecret::generate().unwrap();
        let t = token.expose();
        for ok in [format!("Bearer {t}"), format!("bearer {t}"), format!("BEARER {t}")] {
            assert_eq!(bearer_token(ok.as_bytes()), Some(t), "{ok}");
        }
        for bad in [
            format!("Bearer  {t}"),
            format!("Bearer {t} "),
            format!(" Bearer {t}"),
            format!("Bearer\t{t}"),
            format!("Bearer:{t}"),
            format!("Basic {t}"),
            format!("Bearerx {t}"),
            t.to_owned(),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            String::new(),
        ] {
            assert_eq!(bearer_token(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
