//! The write scopes a token can grant: the contract's, defined in `catalog-core`.

pub use catalog_core::write::{ParseScopeError, Scope};
