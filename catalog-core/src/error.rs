//! Errors of the catalog: what went wrong, for the HTTP layer to map to a status.

/// A request parameter that breaks the contract's rules (the HTTP layer's 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a decimal integer from {min} to {max}, got \"{value}\"")]
pub struct InvalidInput {
    name: &'static str,
    value: String,
    min: i32,
    max: i32,
}

/// How much of an offending value an error message repeats.
const MAX_ECHOED_CHARS: usize = 40;

impl InvalidInput {
    /// Describes parameter `name` whose `value` is not an integer in `min..=max`.
    pub fn new(name: &'static str, value: &str, min: i32, max: i32) -> InvalidInput {
        let mut echoed: String = value.chars().take(MAX_ECHOED_CHARS).collect();
        if echoed.len() < value.len() {
            echoed.push('…');
        }
        InvalidInput {
            name,
            value: echoed,
            min,
            max,
        }
    }

    /// The name of the offending parameter.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Any error, boxed: the cause a [`StoreError`] carries.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a [`CatalogStore`](crate::CatalogStore) could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No product has the requested id.
    #[error("product {0} not found")]
    ProductNotFound(i32),
    /// No SKU has the requested id.
    #[error("SKU {0} not found")]
    SkuNotFound(i32),
    /// The change log no longer holds the entries right after the `after`
    /// asked for (a store that keeps only the latest entries); the oldest it
    /// holds is `oldest`.
    #[error(
        "the change log no longer holds the entries after that seq; its oldest entry is {oldest}: read the catalog again, then follow from there"
    )]
    ChangesGone {
        /// The oldest `seq` the log still holds.
        oldest: i64,
    },
    /// The store cannot answer right now, but may soon (the HTTP layer's 503).
    #[error("the catalog store is unavailable: {source}")]
    Unavailable {
        /// What kept it from answering.
        kind: UnavailableKind,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A fault inside the store; the message is for logs, not for clients.
    #[error("internal store error: {source}")]
    Internal {
        /// What went wrong.
        kind: InternalKind,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// A [`StoreError::Unavailable`] of `kind` caused by `source`.
    pub fn unavailable(kind: UnavailableKind, source: impl Into<BoxError>) -> StoreError {
        StoreError::Unavailable {
            kind,
            source: source.into(),
        }
    }

    /// A [`StoreError::Internal`] of `kind` caused by `source`.
    pub fn internal(kind: InternalKind, source: impl Into<BoxError>) -> StoreError {
        StoreError::Internal {
            kind,
            source: source.into(),
        }
    }
}

/// Why a store is [unavailable](StoreError::Unavailable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnavailableKind {
    /// Its server refused or dropped the connection, is starting or stopping,
    /// or did not answer in time.
    Unreachable,
    /// A query ran past the statement timeout (the server is up).
    Timeout,
    /// Every connection stayed in use for the whole wait.
    PoolExhausted,
    /// A conflict with concurrent work (a replica's recovery, a serialization
    /// failure) cancelled the query; asking again may succeed.
    Conflict,
    /// An import is replacing the catalog.
    ImportRunning,
}

/// What went wrong [inside](StoreError::Internal) a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InternalKind {
    /// A query failed for a reason other than availability.
    Query,
    /// Stored data do not have the shape the store expects.
    MalformedData,
    /// An answer could not be serialized.
    Encoding,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_went_wrong_and_keep_their_cause() {
        let err = StoreError::unavailable(UnavailableKind::Timeout, "canceling statement due to statement timeout");
        assert_eq!(
            err.to_string(),
            "the catalog store is unavailable: canceling statement due to statement timeout"
        );
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("canceling statement due to statement timeout"));
        let err = StoreError::internal(InternalKind::Query, "relation does not exist");
        assert_eq!(err.to_string(), "internal store error: relation does not exist");
        assert!(matches!(
            err,
            StoreError::Internal {
                kind: InternalKind::Query,
                ..
            }
        ));
    }
}
