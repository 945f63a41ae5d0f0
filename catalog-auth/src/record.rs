//! The tokens file's JSON shape and its rules.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::secret::TokenHash;
use crate::{AuthError, Scope};

/// `{"tokens": [...]}`. Unknown fields are refused rather than ignored, so a
/// misspelt `expires_at` cannot silently make a token eternal.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenFile {
    pub(crate) tokens: Vec<TokenRecord>,
}

/// One token: never the secret, only its SHA-256.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRecord {
    pub(crate) name: String,
    pub(crate) scopes: BTreeSet<Scope>,
    pub(crate) sha256: TokenHash,
    pub(crate) created_at: Timestamp,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) revoked_at: Option<Timestamp>,
}

impl TokenFile {
    /// Parses and checks the whole file; one bad record refuses it all.
    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Self, AuthError> {
        let file: TokenFile = serde_json::from_slice(bytes).map_err(|source| AuthError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |reason: String| AuthError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let mut names = HashSet::new();
        for (i, record) in file.tokens.iter().enumerate() {
            if !valid_name(&record.name) {
                return Err(invalid(format!("token {i} has an invalid name {:?}", record.name)));
            }
            if !names.insert(record.name.as_str()) {
                return Err(invalid(format!("the name {} appears twice", record.name)));
            }
            if record.scopes.is_empty() {
                return Err(invalid(format!("token {} has no scope", record.name)));
            }
        }
        Ok(file)
    }

    /// Pretty-printed JSON with a final newline.
    pub(crate) fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }

    pub(crate) fn find_mut(&mut self, name: &str) -> Option<&mut TokenRecord> {
        self.tokens.iter_mut().find(|record| record.name == name)
    }
}

/// 1..=64 characters of `[A-Za-z0-9._-]`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn record(name: &str, scopes: &str) -> String {
        format!(
            r#"{{"name":"{name}","scopes":{scopes},"sha256":"{HASH}","created_at":"2025-01-02T03:04:05Z","expires_at":null,"revoked_at":null}}"#
        )
    }

    fn parse(json: &str) -> Result<TokenFile, AuthError> {
        TokenFile::parse(Path::new("t.json"), json.as_bytes())
    }

    #[test]
    fn names_are_1_to_64_of_the_allowed_characters() {
        for ok in ["a", "ci.importer-2_b", &"x".repeat(64), "A.Z-0_9"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", &"x".repeat(65), "a b", "a/b", "é", "a\n", "a:b", "\"a\""] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_valid_file_parses_and_round_trips() {
        let json = format!(
            r#"{{"tokens":[{}]}}"#,
            record("ci", r#"["catalog:write","inventory:write"]"#)
        );
        let file = parse(&json).unwrap();
        assert_eq!(file.tokens.len(), 1);
        let again = TokenFile::parse(Path::new("t.json"), &file.to_json().unwrap()).unwrap();
        assert_eq!(again.tokens[0].name, "ci");
        assert_eq!(again.tokens[0].scopes, BTreeSet::from(Scope::ALL));
        let text = String::from_utf8(file.to_json().unwrap()).unwrap();
        assert!(text.contains(&format!("\"sha256\": \"{HASH}\"")), "{text}");
        assert!(text.contains("\"expires_at\": null"), "{text}");
    }

    #[test]
    fn bad_files_are_refused_whole() {
        let ok = record("a", r#"["catalog:write"]"#);
        for bad in [
            String::new(),
            "{}".to_owned(),
            "[]".to_owned(),
            format!(r#"{{"tokens":[{ok}],"extra":1}}"#),
            format!(r#"{{"tokens":[{ok},{ok}]}}"#),
            format!(r#"{{"tokens":[{}]}}"#, record("a b", r#"["catalog:write"]"#)),
            format!(r#"{{"tokens":[{}]}}"#, record("a", "[]")),
            format!(r#"{{"tokens":[{}]}}"#, record("a", r#"["admin"]"#)),
            format!(r#"{{"tokens":[{}]}}"#, ok.replace(HASH, &HASH[1..])),
            format!(r#"{{"tokens":[{}]}}"#, ok.replace("\"expires_at\"", "\"expires_At\"")),
            format!(r#"{{"tokens":[{}]}}"#, ok.replace("2025-01-02T03:04:05Z", "yesterday")),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
        assert!(parse(&format!(r#"{{"tokens":[{ok}]}}"#)).is_ok());
    }
}
