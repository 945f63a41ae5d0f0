//! An immutable set of token records and the check of a request's
//! `Authorization` header against it.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;
use subtle::ConditionallySelectable as _;

use crate::record::{TokenFile, TokenRecord};
use crate::secret::{TokenHash, bearer_token};
use crate::{AuthError, Denied, Forbidden, Scope, Unauthorized, file};

/// The tokens of one version of the tokens file, parsed. Holds hashes only.
#[derive(Debug, Default)]
pub struct Tokens {
    records: Vec<TokenRecord>,
}

impl Tokens {
    /// No tokens: every request is unauthorized.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads the file once; a missing file has no tokens.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        file::load(path).map(Self::from)
    }

    /// The number of records, revoked and expired ones included.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there is no record at all.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks an `Authorization` header value (`Bearer <token>`, scheme in
    /// any case): the token's SHA-256 is compared in constant time with every
    /// record's, without stopping at a match, then revocation and expiry
    /// (expired from `expires_at` on) are checked.
    pub fn authenticate(&self, authorization: Option<&[u8]>, now: Timestamp) -> Result<Identity, Unauthorized> {
        let header = authorization.ok_or(Unauthorized::Missing)?;
        let token = bearer_token(header).ok_or(Unauthorized::Malformed)?;
        let presented = TokenHash::of(token);
        let mut found = u64::MAX;
        for (i, record) in (0u64..).zip(&self.records) {
            found.conditional_assign(&i, record.sha256.ct_eq(&presented));
        }
        let record = usize::try_from(found)
            .ok()
            .and_then(|i| self.records.get(i))
            .ok_or(Unauthorized::Unknown)?;
        if record.revoked_at.is_some() {
            return Err(Unauthorized::Revoked {
                name: record.name.clone(),
            });
        }
        if record.expires_at.is_some_and(|expiry| now >= expiry) {
            return Err(Unauthorized::Expired {
                name: record.name.clone(),
            });
        }
        Ok(Identity {
            name: record.name.clone(),
            scopes: record.scopes.clone(),
        })
    }

    /// [`authenticate`](Self::authenticate), then [`Identity::require`].
    pub fn authorize(&self, authorization: Option<&[u8]>, scope: Scope, now: Timestamp) -> Result<Identity, Denied> {
        let identity = self.authenticate(authorization, now)?;
        identity.require(scope)?;
        Ok(identity)
    }
}

impl From<TokenFile> for Tokens {
    fn from(file: TokenFile) -> Self {
        Self { records: file.tokens }
    }
}

/// Who a valid token belongs to and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    name: String,
    scopes: BTreeSet<Scope>,
}

impl Identity {
    /// The token's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scopes it grants.
    pub fn scopes(&self) -> &BTreeSet<Scope> {
        &self.scopes
    }

    /// Whether it grants `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// `Ok` when it grants `scope`, else [`Forbidden`] (HTTP 403).
    pub fn require(&self, scope: Scope) -> Result<(), Forbidden> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(Forbidden {
                name: self.name.clone(),
                scope,
            })
        }
    }
}
