//! The write scopes a token can grant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A permission a token grants. The scopes are disjoint: `catalog:write`
/// does not include `inventory:write`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// `inventory:write`: changing SKU quantities.
    #[serde(rename = "inventory:write")]
    InventoryWrite,
    /// `catalog:write`: every other write.
    #[serde(rename = "catalog:write")]
    CatalogWrite,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 2] = [Scope::InventoryWrite, Scope::CatalogWrite];

    /// The scope's name, as in the contract and the tokens file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::InventoryWrite => "inventory:write",
            Scope::CatalogWrite => "catalog:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no scope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {input:?} (expected inventory:write or catalog:write)")]
pub struct ParseScopeError {
    /// The rejected input.
    pub input: String,
}

impl FromStr for Scope {
    type Err = ParseScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| ParseScopeError { input: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_display_and_serde() {
        for scope in Scope::ALL {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{scope}\""));
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
        }
        assert_eq!(Scope::InventoryWrite.to_string(), "inventory:write");
        assert_eq!(Scope::CatalogWrite.to_string(), "catalog:write");
    }

    #[test]
    fn other_names_are_rejected() {
        for bad in [
            "",
            "write",
            "catalog",
            "Catalog:write",
            "catalog:write ",
            "inventory:read",
        ] {
            assert!(bad.parse::<Scope>().is_err(), "{bad:?}");
            assert!(serde_json::from_str::<Scope>(&format!("\"{bad}\"")).is_err(), "{bad:?}");
        }
    }
}
