//! The `token create | revoke | list` operations on the tokens file.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::record::{TokenRecord, valid_name};
use crate::secret::TokenSecret;
use crate::{AuthError, Scope, file};

/// A token just created: the secret is here and nowhere else.
#[derive(Debug)]
pub struct CreatedToken {
    /// The token's name.
    pub name: String,
    /// The scopes it grants.
    pub scopes: BTreeSet<Scope>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// The token, to print once; `Debug` redacts it.
    pub secret: TokenSecret,
}

/// A token as `token list` shows it: never the secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The token's name.
    pub name: String,
    /// The scopes it grants.
    pub scopes: BTreeSet<Scope>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// What [`revoke`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The token is revoked from this time on.
    Revoked(Timestamp),
    /// It had been revoked already, at this time; nothing changed.
    AlreadyRevoked(Timestamp),
}

/// The current time to the second, as the file records it.
fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// Adds a token named `name` granting `scopes`, expiring after
/// `expires_in_days` if given, and returns its secret, which the file does
/// not keep. The file is created (mode 0600) if missing. A name is never
/// reused, even once revoked.
pub fn create(
    path: &Path,
    name: &str,
    scopes: &[Scope],
    expires_in_days: Option<u32>,
) -> Result<CreatedToken, AuthError> {
    if !valid_name(name) {
        return Err(AuthError::InvalidName { name: name.to_owned() });
    }
    if scopes.is_empty() {
        return Err(AuthError::NoScopes);
    }
    let created_at = now();
    let expires_at = match expires_in_days {
        None => None,
        Some(days) => Some(
            created_at
                .checked_add(SignedDuration::from_hours(i64::from(days) * 24))
                .ok()
                .filter(|_| days > 0)
                .ok_or(AuthError::InvalidExpiry { days })?,
        ),
    };
    let secret = TokenSecret::generate().map_err(AuthError::Random)?;
    let scopes: BTreeSet<Scope> = scopes.iter().copied().collect();

    let _lock = file::lock(path)?;
    let mut tokens = file::load(path)?;
    if tokens.find_mut(name).is_some() {
        return Err(AuthError::NameExists { name: name.to_owned() });
    }
    tokens.tokens.push(TokenRecord {
        name: name.to_owned(),
        scopes: scopes.clone(),
        sha256: secret.hash(),
        created_at,
        expires_at,
        revoked_at: None,
    });
    file::write_atomic(path, &tokens)?;
    Ok(CreatedToken {
        name: name.to_owned(),
        scopes,
        created_at,
        expires_at,
        secret,
    })
}

/// Revokes the token named `name`. Revoking a revoked token is not an error
/// and keeps the first revocation time; an unknown name is an error.
pub fn revoke(path: &Path, name: &str) -> Result<RevokeOutcome, AuthError> {
    let _lock = file::lock(path)?;
    let mut tokens = file::load(path)?;
    let record = tokens
        .find_mut(name)
        .ok_or_else(|| AuthError::UnknownName { name: name.to_owned() })?;
    if let Some(at) = record.revoked_at {
        return Ok(RevokeOutcome::AlreadyRevoked(at));
    }
    let at = now();
    record.revoked_at = Some(at);
    file::write_atomic(path, &tokens)?;
    Ok(RevokeOutcome::Revoked(at))
}

/// Every token in the file, in creation order; a missing file lists none.
pub fn list(path: &Path) -> Result<Vec<TokenInfo>, AuthError> {
    Ok(file::load(path)?
        .tokens
        .into_iter()
        .map(|record| TokenInfo {
            name: record.name,
            scopes: record.scopes,
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
        })
        .collect())
}
