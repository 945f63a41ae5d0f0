//! The write API's bearer tokens: the [`Scope`]s, the tokens file, the
//! request check, and the operations behind `token create | revoke | list`.
//!
//! A token is `cat_` and 32 bytes from the OS random number generator in
//! unpadded base64url (47 characters). It is shown once by [`create`]; the
//! tokens file keeps only its SHA-256, in JSON, with mode 0600, replaced
//! atomically, and is refused when group or others have any access to it.
//! A service holds a [`TokenRegistry`] and calls [`TokenRegistry::reload`]
//! every second or so, so that created and revoked tokens take effect without
//! a restart; each request is checked with [`Tokens::authenticate`] (401 on
//! failure) and [`Identity::require`] (403).
//!
//! ```
//! use catalog_auth::{Denied, Scope, TokenRegistry, Unauthorized};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("tokens.json");
//!
//! let registry = TokenRegistry::open(&path)?; // no file yet: no tokens
//! let created = catalog_auth::create(&path, "importer", &[Scope::CatalogWrite], Some(90))?;
//! assert!(registry.reload()?);
//!
//! let now = jiff::Timestamp::now();
//! let header = format!("Bearer {}", created.secret.expose());
//! let tokens = registry.current();
//! let identity = tokens.authenticate(Some(header.as_bytes()), now)?;
//! assert_eq!(identity.name(), "importer");
//! identity.require(Scope::CatalogWrite)?;
//!
//! let refused = tokens.authorize(Some(header.as_bytes()), Scope::InventoryWrite, now).unwrap_err();
//! assert_eq!(refused.status(), 403);
//! assert_eq!(tokens.authenticate(Some(b"Basic dXNlcjpwdw=="), now), Err(Unauthorized::Malformed));
//! assert!(matches!(tokens.authorize(None, Scope::CatalogWrite, now), Err(Denied::Unauthorized(_))));
//! assert!(!format!("{created:?}").contains(created.secret.expose()));
//! # Ok(())
//! # }
//! ```

mod admin;
mod error;
mod file;
mod record;
mod registry;
mod scope;
mod secret;
mod tokens;

#[cfg(test)]
mod tests;

pub use admin::{CreatedToken, RevokeOutcome, TokenInfo, create, list, revoke};
pub use error::{AuthError, Denied, Forbidden, Unauthorized};
pub use registry::TokenRegistry;
pub use scope::{ParseScopeError, Scope};
pub use secret::TokenSecret;
pub use tokens::{Identity, Tokens};
