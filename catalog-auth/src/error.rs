//! Why a request is refused, and why a tokens file operation failed.

use std::io;
use std::path::PathBuf;

use crate::Scope;

/// The request carries no usable token (HTTP 401). The reasons stay apart
/// for logs and metrics; none of them carries the presented token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    /// No `Authorization` header.
    #[error("no Authorization header")]
    Missing,
    /// The header is not `Bearer ` followed by a well-formed token.
    #[error("malformed Authorization header")]
    Malformed,
    /// A well-formed token that no record has.
    #[error("unknown token")]
    Unknown,
    /// The token was revoked.
    #[error("token {name} is revoked")]
    Revoked {
        /// The token's name.
        name: String,
    },
    /// The token is past its expiry.
    #[error("token {name} has expired")]
    Expired {
        /// The token's name.
        name: String,
    },
}

impl Unauthorized {
    /// A short fixed label (`missing`, `malformed`, `unknown`, `revoked`,
    /// `expired`), e.g. for a metric.
    pub const fn reason(&self) -> &'static str {
        match self {
            Unauthorized::Missing => "missing",
            Unauthorized::Malformed => "malformed",
            Unauthorized::Unknown => "unknown",
            Unauthorized::Revoked { .. } => "revoked",
            Unauthorized::Expired { .. } => "expired",
        }
    }
}

/// A valid token without the scope the request needs (HTTP 403).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("token {name} lacks scope {scope}")]
pub struct Forbidden {
    /// The token's name.
    pub name: String,
    /// The scope it lacks.
    pub scope: Scope,
}

/// Either refusal, from [`Tokens::authorize`](crate::Tokens::authorize).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No usable token: 401.
    #[error(transparent)]
    Unauthorized(#[from] Unauthorized),
    /// A valid token without the scope: 403.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
}

impl Denied {
    /// The HTTP status: 401 or 403.
    pub const fn status(&self) -> u16 {
        match self {
            Denied::Unauthorized(_) => 401,
            Denied::Forbidden(_) => 403,
        }
    }
}

/// A tokens file could not be read, written or changed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// An I/O error on the file, its lock file, its temporary file or its
    /// directory.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "reading tokens file".
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is accessible by group or others; it is not read.
    #[error(
        "tokens file {path} is accessible by group or others (mode {mode:04o}); run `chmod 600 {path}`",
        path = path.display()
    )]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The path is not a regular file.
    #[error("tokens file {} is not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file is not the tokens JSON.
    #[error("tokens file {} is not valid: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The file parses but breaks a rule (bad or duplicate name, no scope).
    #[error("tokens file {} is not valid: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The rule broken.
        reason: String,
    },
    /// A name outside 1..=64 characters of `[A-Za-z0-9._-]`.
    #[error("invalid token name {name:?}: use 1 to 64 characters among A-Z a-z 0-9 . _ -")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// A token of that name exists (revoked ones included).
    #[error("a token named {name} already exists (names are never reused, even after revocation)")]
    NameExists {
        /// The name.
        name: String,
    },
    /// No token has that name.
    #[error("no token named {name}")]
    UnknownName {
        /// The name.
        name: String,
    },
    /// A token was asked for with no scope.
    #[error("a token needs at least one scope")]
    NoScopes,
    /// An expiry of 0 days, or one past the year 9999.
    #[error("invalid expiry of {days} days: use 1 day or more, ending before the year 10000")]
    InvalidExpiry {
        /// The days asked for.
        days: u32,
    },
    /// The OS random number generator failed.
    #[error("the OS random number generator failed: {0}")]
    Random(#[source] getrandom::Error),
}
